# Build a part and run its challenge's workload under the embedded Maelstrom runner.
#
#   make run                                   # the default part (broadcast-3b)
#   make run MODULE=echo                       # any part, with its own workload
#   make run MODULE=broadcast-3b WORKLOAD=broadcast-3a   # one part's code, another part's workload
#   make run MAELSTROM=/path/to/maelstrom/maelstrom      # Jepsen's Maelstrom instead of ours
#   make test                                  # everything CI runs
#
# Mirrors the Makefile of the Go tutorial (DeamonDev/gossip-glomers-tutorial).

MODULE ?= broadcast-3b
WORKLOAD ?= $(MODULE)
BINARY = target/release/$(MODULE)
MAELSTROM ?= maelstrom/maelstrom

# Every part of the workspace, in the order the articles introduce them.
PARTS = echo unique-ids broadcast-3a broadcast-3b broadcast-3c broadcast-3d broadcast-3e

# The workload each part is judged by, with the tutorial's parameters.
MAELSTROM_CMD_echo = $(MAELSTROM) test -w echo --bin $(BINARY) --node-count 1 --time-limit 10
MAELSTROM_CMD_unique-ids = $(MAELSTROM) test -w unique-ids --bin $(BINARY) --time-limit 30 --rate 1000 --node-count 3 --availability total --nemesis partition
MAELSTROM_CMD_broadcast-3a = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 1 --time-limit 20 --rate 10
MAELSTROM_CMD_broadcast-3b = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 5 --time-limit 20 --rate 10
MAELSTROM_CMD_broadcast-3c = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 5 --time-limit 20 --rate 10 --nemesis partition
MAELSTROM_CMD_broadcast-3d = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 25 --time-limit 20 --rate 100 --latency 100 $(TARGETS_broadcast-3d)
MAELSTROM_CMD_broadcast-3e = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 25 --time-limit 20 --rate 100 --latency 100 $(TARGETS_broadcast-3e)

# The challenge's own targets for 3d and 3e (servers msgs-per-op, median and maximum stable latency
# in ms). Jepsen's Maelstrom only prints these figures; our runner judges them and fails the test
# when one is missed. Jepsen's Maelstrom has no such options, so they are passed to ours only.
ifeq ($(MAELSTROM),maelstrom/maelstrom)
TARGETS_broadcast-3d = --max-msgs-per-op 30 --max-median-latency 400 --max-latency 600
TARGETS_broadcast-3e = --max-msgs-per-op 20 --max-median-latency 1000 --max-latency 2000
endif

MAELSTROM_RUN_CMD = $(MAELSTROM_CMD_$(WORKLOAD))

.PHONY: run build test debug help bench bench-echo bench-runner bench-broadcast bench-kafka-checker check-module check-workload

## run: build MODULE and run WORKLOAD's test against it
run: check-workload build
	$(MAELSTROM_RUN_CMD)

## build: cargo build --release -p MODULE
build: check-module
	cargo build --release -p $(MODULE)

## test: formatting, lints and every test (what CI runs)
test:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace

## bench: every benchmark (each prints its figures; none is a test)
bench: bench-echo bench-runner bench-broadcast bench-kafka-checker

bench-echo:
	scripts/bench-echo.sh

bench-runner:
	scripts/bench-runner.sh

bench-broadcast:
	scripts/bench-broadcast.sh

bench-kafka-checker:
	scripts/bench-kafka-checker.sh

## debug: browse past runs (store/) with the runner's web server
debug:
	$(MAELSTROM) serve

## help: list the parts and the command each one runs
help:
	@echo "Targets: run (default part: $(MODULE)), build, test, bench, debug, help"
	@echo "Parts (MODULE=...) and their workloads (WORKLOAD=..., defaults to MODULE):"
	@$(foreach part,$(PARTS),echo "  $(part):	$(MAELSTROM_CMD_$(part):$(BINARY)=target/release/$(part))";)

check-module:
	@case " $(PARTS) " in *" $(MODULE) "*) ;; *) \
		echo "Unknown MODULE '$(MODULE)'. Known parts: $(PARTS)" >&2; exit 2;; esac

check-workload: check-module
	@case " $(PARTS) " in *" $(WORKLOAD) "*) ;; *) \
		echo "Unknown WORKLOAD '$(WORKLOAD)'. Known workloads (one per part): $(PARTS)" >&2; exit 2;; esac
