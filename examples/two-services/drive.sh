#!/usr/bin/env bash
# Sends a few requests to service-a (which calls service-b) and prints each status code.
# Start both services first: see README.md. Usage: ./drive.sh  (SERVICE_A_URL overrides
# the default http://127.0.0.1:3000).
set -euo pipefail

a_url="${SERVICE_A_URL:-http://127.0.0.1:3000}"
a_url="${a_url%/}"

if ! command -v curl >/dev/null 2>&1; then
    echo "drive.sh: curl is required but was not found on PATH" >&2
    exit 1
fi

# path and the status it should answer with
requests=(
    "/hello 200"
    "/orders/1 200"
    "/orders/2 200"
    "/orders/999 404"
    "/fail 502"
)

unexpected=0
for request in "${requests[@]}"; do
    read -r path expected <<<"$request"
    body_file="$(mktemp)"
    # curl prints 000 when it cannot connect; that is reported like any other status.
    status="$(curl --silent --max-time 10 --output "$body_file" --write-out '%{http_code}' \
        "$a_url$path" || true)"
    body="$(head -c 200 "$body_file")"
    rm -f "$body_file"
    mark="ok"
    if [[ "$status" != "$expected" ]]; then
        mark="expected $expected"
        unexpected=$((unexpected + 1))
    fi
    printf '%-12s %s  %-12s %s\n' "$path" "$status" "($mark)" "$body"
done

if ((unexpected > 0)); then
    echo "drive.sh: $unexpected unexpected status code(s); are both services running?" >&2
    exit 1
fi
