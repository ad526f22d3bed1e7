#!/usr/bin/env bash
# Ranges that keep up: for each built-in pack, the newest published version of its crate
# (crates.io's sparse index, which carries publish times) and whether the pack's `versions`
# range leaves out a stable version released more than a month ago. Prints a table; exits 0
# either way unless STRICT=1 (CI prints it without failing on it).
#
# Usage: rules/ranges.sh [PACK...]      (default: every pack with a named crate)
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packs=("$@")
if [ ${#packs[@]} -eq 0 ]; then
    for f in "$repo"/rules/*/pack.toml; do packs+=("$(basename "$(dirname "$f")")"); done
fi
index_path() { # crates.io sparse-index path of a crate name
    local n="${1,,}"
    case ${#n} in
        1) echo "1/$n" ;;
        2) echo "2/$n" ;;
        3) echo "3/${n:0:1}/$n" ;;
        *) echo "${n:0:2}/${n:2:2}/$n" ;;
    esac
}
# A crate's packs together (hyper's 1.x and 0.14 packs): a version is covered when any
# pack's range holds it.
declare -A ranges names
for pack in "${packs[@]}"; do
    toml="$repo/rules/$pack/pack.toml"
    crate=$(sed -n 's/^crate = "\(.*\)"/\1/p' "$toml" | head -n 1)
    range=$(sed -n 's/^versions = "\(.*\)"/\1/p' "$toml" | head -n 1)
    [ -n "$crate" ] && [ "$crate" != "@workspace" ] && [ -n "$range" ] || continue
    ranges[$crate]="${ranges[$crate]:+${ranges[$crate]} || }$range"
    names[$crate]="${names[$crate]:+${names[$crate]}, }$pack"
done
echo "| packs | crate | ranges | newest | stable versions left out (released > 30 days ago) |"
echo "|---|---|---|---|---|"
stale=0
for crate in $(printf '%s\n' "${!ranges[@]}" | sort); do
    range="${ranges[$crate]}"; pack="${names[$crate]}"
    index=$(curl -sf --max-time 20 "https://index.crates.io/$(index_path "$crate")") || {
        echo "| $pack | $crate | $range | ? | index not reachable |"
        continue
    }
    row=$(RANGE="$range" python3 -c '
import json, os, sys, datetime
def ver(s):
    core = s.split("+")[0].split("-")[0]
    parts = [int(x) for x in core.split(".")] + [0, 0]
    return tuple(parts[:3]), "-" in s.split("+")[0]
def matches(v, req):
    return any(matches_one(v, r) for r in req.split("||"))
def matches_one(v, req):
    for clause in req.split(","):
        clause = clause.strip()
        for op in (">=", "<=", ">", "<", "="):
            if clause.startswith(op):
                bound, _ = ver(clause[len(op):].strip())
                ok = {">=": v >= bound, "<=": v <= bound, ">": v > bound, "<": v < bound, "=": v == bound}[op]
                if not ok:
                    return False
                break
    return True
now = datetime.datetime.now(datetime.timezone.utc)
versions = []
for line in sys.stdin:
    d = json.loads(line)
    v, pre = ver(d["vers"])
    if d.get("yanked") or pre:
        continue
    t = d.get("pubtime")
    age = (now - datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))).days if t else 9999
    versions.append((v, d["vers"], age))
versions.sort()
newest = versions[-1][1] if versions else "?"
lowest = min((v for v, _, _ in versions if matches(v, os.environ["RANGE"])), default=None)
# Out of range and newer than the range: what a current program may use.
left = [s for v, s, age in versions if age > 30 and not matches(v, os.environ["RANGE"]) and lowest is not None and v > lowest]
majors = {}
for s in left:
    key = ".".join(s.split(".")[:2]) if s.startswith("0.") else s.split(".")[0]
    majors.setdefault(key, []).append(s)
summary = ", ".join(f"{k}.x (up to {v[-1]})" for k, v in majors.items()) or "none"
print(f"{newest}|{summary}")
' <<<"$index")
    newest="${row%%|*}"; left="${row#*|}"
    [ "$left" = none ] || stale=1
    echo "| $pack | $crate | \`$range\` | $newest | $left |"
done
if [ "$stale" = 1 ] && [ "${STRICT:-}" = 1 ]; then exit 1; fi
exit 0
