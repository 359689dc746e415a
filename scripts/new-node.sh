#!/usr/bin/env bash
# Creates a new node crate NAME as a working copy of the part FROM (`make new NAME=... FROM=...`):
#
#   scripts/new-node.sh my-broadcast broadcast-3b
#
# The copy is FROM's folder with, in NAME/:
#   - Cargo.toml: the package (and so the binary) named NAME;
#   - tests/: the test file renamed after NAME, driving target/.../NAME (CARGO_BIN_EXE_NAME);
#   - src/server.rs: a first header line saying where it came from, and its command and
#     `make run` line pointing at NAME;
# and NAME added to the workspace members in the root Cargo.toml. Nothing else is touched.
# Then `make run MODULE=NAME WORKLOAD=FROM` runs it against FROM's workload, and `make test`
# builds and tests it with the rest of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: make new NAME=<new crate> FROM=<part to copy>, e.g. make new NAME=my-broadcast FROM=broadcast-3b"
name="${1:-}"
from="${2:-}"
fail() {
    echo "make new: $*" >&2
    exit 2
}
# `sed -i` differs between GNU and BSD (macOS) sed, so files are edited through a copy.
edit() { # edit <file> <sed arguments...>
    local file="$1"
    shift
    sed "$@" "$file" >"$file.new"
    mv "$file.new" "$file"
}

[[ -n "$name" && -n "$from" ]] || fail "NAME and FROM are both needed; $usage"
# Cargo accepts more, but a folder, package and binary named alike must be one plain word.
[[ "$name" =~ ^[a-z][a-z0-9-]*$ ]] ||
    fail "NAME '$name' is not a crate name: use lower-case letters, digits and '-', starting with a letter"
case "$name" in
    target|store|scripts|docs|maelstrom|common|testkit)
        fail "NAME '$name' is a folder the project uses (cargo's target/, the runs' store/, its tools); choose another name";;
esac
[[ ! -e "$name" ]] || fail "NAME '$name' already exists; choose another name or remove ./$name"
[[ -f "$from/src/main.rs" && -f "$from/Cargo.toml" ]] ||
    fail "FROM '$from' is not a node crate of this workspace (no $from/src/main.rs)"
[[ "$from" != "maelstrom" ]] || fail "FROM 'maelstrom' is the runner, not a node"
grep -q "^    \"$from\",$" Cargo.toml || fail "FROM '$from' is not a member of the workspace (Cargo.toml)"

from_snake="${from//-/_}"
name_snake="${name//-/_}"

cp -R "$from" "$name"

# The package, and with it the binary, is NAME.
edit "$name/Cargo.toml" -e "s/^name = \"$from\"$/name = \"$name\"/"

# Tests: named after NAME, and driving NAME's binary (cargo sets CARGO_BIN_EXE_<binary> only
# for the package's own binaries).
if [[ -f "$name/tests/$from_snake.rs" ]]; then
    mv "$name/tests/$from_snake.rs" "$name/tests/$name_snake.rs"
fi
for test in "$name"/tests/*.rs; do
    [[ -f "$test" ]] || continue
    edit "$test" -e "s/CARGO_BIN_EXE_$from\"/CARGO_BIN_EXE_$name\"/g" -e "s/\`$from\` binar/\`$name\` binar/g"
done

# The server's header: where it came from, and commands that run NAME.
if [[ -f "$name/src/server.rs" ]]; then
    edit "$name/src/server.rs" \
        -e "s#--bin target/release/$from #--bin target/release/$name #" \
        -e "s#make run MODULE=$from\`#make run MODULE=$name WORKLOAD=$from\`#" \
        -e "s#make run MODULE=$from #make run MODULE=$name WORKLOAD=$from #" \
        -e "s#make run MODULE=$from\$#make run MODULE=$name WORKLOAD=$from#"
    header="//! \`$name\`: your own node, made by \`make new NAME=$name FROM=$from\` as a copy of \`$from\`.
//! What follows is \`$from\`'s description; change it as you change the code.
//!"
    printf '%s\n%s\n' "$header" "$(cat "$name/src/server.rs")" >"$name/src/server.rs"
fi

# A workspace member, listed last (members are kept one a line, four spaces in).
awk -v name="$name" '
    /^members = \[/ { in_members = 1 }
    in_members && /^\]/ { printf "    \"%s\",\n", name; in_members = 0 }
    { print }
' Cargo.toml >Cargo.toml.new
mv Cargo.toml.new Cargo.toml

echo "Created $name/ from $from/ and added it to the workspace members in Cargo.toml."
echo "Build it and run $from's test against it:"
echo "  make run MODULE=$name WORKLOAD=$from"
echo "Run its own tests, copied from $from:"
echo "  cargo test -p $name"
