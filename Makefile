# Build a part and run its challenge's workload under the embedded Maelstrom runner.
#
#   make run                                   # the default part (broadcast-3b)
#   make run MODULE=echo                       # any part, with its own workload
#   make run MODULE=broadcast-3b WORKLOAD=broadcast-3a   # one part's code, another part's workload
#   make run MODULE=broadcast-3c ARGS='--time-limit 5 --log-stderr'   # more runner options (later ones win)
#   make run MODULE=broadcast-3d TARGETS= ARGS='--nemesis partition'   # without 3d's targets
#   make run MAELSTROM=/path/to/maelstrom/maelstrom      # Jepsen's Maelstrom instead of ours
#   make new NAME=my-broadcast FROM=broadcast-3b         # your own node, a copy of a part
#   make run MODULE=my-broadcast WORKLOAD=broadcast-3b   # ... judged by that part's workload
#   make test                                  # everything CI runs
#
# Mirrors the Makefile of the Go tutorial (DeamonDev/gossip-glomers-tutorial).

MODULE ?= broadcast-3b
WORKLOAD ?= $(MODULE)
# Where cargo puts binaries: target/, or $CARGO_TARGET_DIR if set (as cargo itself does).
TARGET_DIR = $(or $(CARGO_TARGET_DIR),target)
BINARY = $(TARGET_DIR)/release/$(MODULE)
MAELSTROM ?= maelstrom/maelstrom
# Extra runner options, added after the workload's own (for the same option, the later one wins).
ARGS ?=

# The parts, in the order of the challenges: 1 to 3e follow the tutorial's Go code, 4 to 6c
# (where the tutorial stops) are written in its style.
PARTS = echo unique-ids broadcast-3a broadcast-3b broadcast-3c broadcast-3d broadcast-3e g-counter \
	kafka-5a kafka-5b kafka-5c txn-6a txn-6b txn-6c
# Designs beyond the tutorial for the same challenges, judged by the same workloads.
BEYOND = broadcast-3d-flat broadcast-3e-hub
# After the challenges: Maelstrom's own Raft chapter (doc/06-raft/), one part per step, then
# its end with stable storage (beyond the chapter), which survives --nemesis kill.
RAFT = raft-1-kv raft-2-election raft-3-replication raft-4-commit raft-5-durable
# Every binary of the workspace (folders are named like their binaries), the runner aside:
# the parts, and the nodes readers add with `make new`.
BINARIES = $(filter-out maelstrom,$(patsubst %/src/main.rs,%,$(wildcard */src/main.rs)))

# The workload each part is judged by, with the tutorial's parameters.
MAELSTROM_CMD_echo = $(MAELSTROM) test -w echo --bin $(BINARY) --node-count 1 --time-limit 10
MAELSTROM_CMD_unique-ids = $(MAELSTROM) test -w unique-ids --bin $(BINARY) --time-limit 30 --rate 1000 --node-count 3 --availability total --nemesis partition
MAELSTROM_CMD_broadcast-3a = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 1 --time-limit 20 --rate 10
MAELSTROM_CMD_broadcast-3b = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 5 --time-limit 20 --rate 10
MAELSTROM_CMD_broadcast-3c = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 5 --time-limit 20 --rate 10 --nemesis partition
MAELSTROM_CMD_broadcast-3d = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 25 --time-limit 20 --rate 100 --latency 100
MAELSTROM_CMD_broadcast-3e = $(MAELSTROM) test -w broadcast --bin $(BINARY) --node-count 25 --time-limit 20 --rate 100 --latency 100
MAELSTROM_CMD_broadcast-3d-flat = $(MAELSTROM_CMD_broadcast-3d)
MAELSTROM_CMD_broadcast-3e-hub = $(MAELSTROM_CMD_broadcast-3e)
MAELSTROM_CMD_g-counter = $(MAELSTROM) test -w g-counter --bin $(BINARY) --node-count 3 --rate 100 --time-limit 20 --nemesis partition
MAELSTROM_CMD_kafka-5a = $(MAELSTROM) test -w kafka --bin $(BINARY) --node-count 1 --concurrency 2n --time-limit 20 --rate 1000
MAELSTROM_CMD_kafka-5b = $(MAELSTROM) test -w kafka --bin $(BINARY) --node-count 2 --concurrency 2n --time-limit 20 --rate 1000
MAELSTROM_CMD_kafka-5c = $(MAELSTROM_CMD_kafka-5b)
# Challenge 6c's page writes `–-nemesis` with a Unicode dash, which Jepsen's Maelstrom silently
# takes for a node argument (no partitions); these are plain ASCII dashes.
MAELSTROM_CMD_txn-6a = $(MAELSTROM) test -w txn-rw-register --bin $(BINARY) --node-count 1 --time-limit 20 --rate 1000 --concurrency 2n --consistency-models read-uncommitted --availability total
MAELSTROM_CMD_txn-6b = $(MAELSTROM) test -w txn-rw-register --bin $(BINARY) --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted --availability total --nemesis partition
MAELSTROM_CMD_txn-6c = $(MAELSTROM) test -w txn-rw-register --bin $(BINARY) --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-committed --availability total --nemesis partition
# The Raft chapter's commands, each the last its step runs (the chapter's last adds --test-count 10).
MAELSTROM_CMD_raft-1-kv = $(MAELSTROM) test -w lin-kv --bin $(BINARY) --time-limit 10 --rate 10 --node-count 1 --concurrency 2n
MAELSTROM_CMD_raft-2-election = $(MAELSTROM) test -w lin-kv --bin $(BINARY) --time-limit 10 --node-count 3 --concurrency 2n --rate 0 --log-stderr
MAELSTROM_CMD_raft-3-replication = $(MAELSTROM) test -w lin-kv --bin $(BINARY) --time-limit 60 --node-count 3 --concurrency 2n --rate 1 --nemesis partition
MAELSTROM_CMD_raft-4-commit = $(MAELSTROM) test -w lin-kv --bin $(BINARY) --node-count 3 --concurrency 4n --rate 30 --time-limit 60 --nemesis partition --nemesis-interval 10
MAELSTROM_CMD_raft-5-durable = $(MAELSTROM) test -w lin-kv --bin $(BINARY) --node-count 3 --concurrency 4n --rate 30 --time-limit 60 --nemesis kill,partition --nemesis-interval 10

# The challenge's own targets for 3d and 3e (servers msgs-per-op, median and maximum stable latency
# in ms). Jepsen's Maelstrom only prints these figures; our runner judges them and fails the test
# when one is missed. Jepsen's Maelstrom has no such options, so they are passed to ours only.
# `TARGETS=` leaves them out, e.g. under partitions, which hold values back for seconds by design:
#   make run MODULE=broadcast-3d TARGETS= ARGS='--nemesis partition'
ifeq ($(MAELSTROM),maelstrom/maelstrom)
TARGETS_broadcast-3d = --max-msgs-per-op 30 --max-median-latency 400 --max-latency 600
TARGETS_broadcast-3e = --max-msgs-per-op 20 --max-median-latency 1000 --max-latency 2000
TARGETS_broadcast-3d-flat = $(TARGETS_broadcast-3d)
TARGETS_broadcast-3e-hub = $(TARGETS_broadcast-3e)
endif
TARGETS ?= $(TARGETS_$(WORKLOAD))

MAELSTROM_RUN_CMD = $(MAELSTROM_CMD_$(WORKLOAD)) $(TARGETS) $(ARGS)

.PHONY: run build new test chromium debug help bench bench-echo bench-runner bench-broadcast bench-kafka-checker bench-g-counter bench-kafka bench-txn bench-raft bench-run-page check-module check-workload

## run: build MODULE and run WORKLOAD's test against it
run: check-workload build
	$(MAELSTROM_RUN_CMD)

## build: cargo build --release -p MODULE
build: check-module
	cargo build --release -p $(MODULE)

## new: a new node crate NAME, a working copy of the part FROM (see the README)
new:
	scripts/new-node.sh "$(NAME)" "$(FROM)"

## test: formatting, lints and every test (what CI runs)
test: chromium
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace

## chromium: install Debian's chromium if missing (the browser test, maelstrom/tests/browser.rs, needs it)
chromium:
	.ci/install-chromium.sh

## bench: every benchmark (each prints its figures; none is a test)
bench: bench-echo bench-runner bench-broadcast bench-kafka-checker bench-g-counter bench-kafka bench-txn bench-raft bench-run-page

bench-echo:
	scripts/bench-echo.sh

bench-runner:
	scripts/bench-runner.sh

bench-broadcast:
	scripts/bench-broadcast.sh

bench-kafka-checker:
	scripts/bench-kafka-checker.sh

bench-g-counter:
	scripts/bench-g-counter.sh

bench-kafka:
	scripts/bench-kafka.sh

bench-txn:
	scripts/bench-txn.sh

## bench-raft: raft-4-commit and raft-5-durable under partition, kill and pause on 3 and 5 nodes, 10 seeds of 60 s (long; SEEDS="1 2" TIME_LIMIT=20 to shorten)
bench-raft:
	scripts/bench-raft.sh

## bench-run-page: a 3d run, then its run page's file sizes, drawing time and first paint in Chromium
bench-run-page: chromium
	$(MAKE) run MODULE=broadcast-3d
	scripts/bench-run-page.sh

## debug: browse past runs (store/) with the runner's web server (ARGS='--port 9000' for more options)
debug:
	$(MAELSTROM) serve $(ARGS)

# One line per part: its name and the command `make run MODULE=<part>` runs.
define list_parts
	@$(foreach part,$(1),echo "  $(part):	$(strip $(MAELSTROM_CMD_$(part):$(BINARY)=$(TARGET_DIR)/release/$(part)) $(TARGETS_$(part)))";)
endef

## help: list the parts and the command each one runs
help:
	@echo "Targets: run (default part: $(MODULE)), build, new, test, bench, debug, help"
	@echo "Options: MODULE=<binary> WORKLOAD=<part> (defaults to MODULE) ARGS='<more runner options>'"
	@echo "         TARGETS= (3d, 3e: leave out the challenge's targets, e.g. with ARGS='--nemesis partition')"
	@echo "The challenges' parts, 1 to 3e as the tutorial writes them, 4 to 6c in its style (MODULE=... or WORKLOAD=...):"
	$(call list_parts,$(PARTS))
	@echo "Beyond the tutorial (other designs, the same workloads and targets):"
	$(call list_parts,$(BEYOND))
	@echo "After the challenges, Maelstrom's Raft chapter (doc/06-raft/) step by step, then with stable storage:"
	$(call list_parts,$(RAFT))
	@echo "Your own node: make new NAME=my-broadcast FROM=broadcast-3b, then"
	@echo "  make run MODULE=my-broadcast WORKLOAD=broadcast-3b"

check-module:
	@case "$(MODULE)" in maelstrom|common|testkit) \
		echo "MODULE '$(MODULE)' is part of the project's tooling, not a node. Parts and your nodes: $(BINARIES)" >&2; \
		exit 2;; esac
	@case " $(BINARIES) " in *" $(MODULE) "*) ;; *) \
		echo "Unknown MODULE '$(MODULE)': no $(MODULE)/src/main.rs. Workspace binaries: $(BINARIES)" >&2; \
		if [ "$(MODULE)" = "broadcast-3de" ]; then \
			echo "(the Go tutorial's broadcast-3de is two parts here: MODULE=broadcast-3d and MODULE=broadcast-3e)" >&2; fi; \
		echo "(make new NAME=$(MODULE) FROM=<part> creates one)" >&2; exit 2;; esac

# The Go tutorial's Makefile has one workload for 3d and 3e together, `broadcast-3de`; here
# each challenge has its own (3e's targets are not 3d's), so that name gets a pointer to both.
check-workload: check-module
	@case " $(PARTS) $(BEYOND) $(RAFT) " in *" $(WORKLOAD) "*) ;; *) \
		if [ "$(WORKLOAD)" = "broadcast-3de" ]; then \
			echo "WORKLOAD 'broadcast-3de' is the Go tutorial's name for 3d and 3e together; here each has its own workload and targets: WORKLOAD=broadcast-3d or WORKLOAD=broadcast-3e" >&2; \
		elif [ "$(WORKLOAD)" = "$(MODULE)" ]; then \
			echo "MODULE '$(MODULE)' is not a part, so it has no workload of its own: add WORKLOAD=<part>, one of: $(PARTS) $(BEYOND) $(RAFT)" >&2; \
		else \
			echo "Unknown WORKLOAD '$(WORKLOAD)'. Known workloads (one per part): $(PARTS) $(BEYOND) $(RAFT)" >&2; \
		fi; exit 2;; esac
