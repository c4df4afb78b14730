#!/usr/bin/env bash
# generate.sh writes testdata/demo-org.json from demo-org.template.json,
# replacing each key placeholder with a fresh public key made by ssh-keygen.
# Private keys live only in a temporary directory that is removed on exit:
# the demo organization must never ship key material that grants access.
#
# Placeholders (NAME ends with -rsa, -ed25519 or -ecdsa, which picks the type):
#   @@NAME@@         "ssh-rsa AAAA..."  (type and base64 blob of key NAME)
#   @@blob:NAME@@    "AAAA..."          (the blob alone: for a type mismatch)
#   @@badb64:NAME@@  "ssh-rsa AAAA*..." (one blob character made non-base64)
# The same NAME always stands for the same key, so a key can appear in two
# items (a GKE key both in ssh-keys and in sshKeys).
#
# Usage: testdata/demo-keys/generate.sh   (needs ssh-keygen, sed, jq)
# The keys change on every run: golden files built on the demo organization
# must then be regenerated with -update.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
template=$here/demo-org.template.json
out=$here/../demo-org.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

names=$(grep -o '@@[a-z0-9:-]*@@' "$template" |
  sed -E 's/^@@([a-z0-9]+:)?([a-z0-9-]+)@@$/\2/' | sort -u)

: >"$work/subst.sed"
for name in $names; do
  case $name in
  *-rsa) args=(-t rsa -b 3072) ;;
  *-ed25519) args=(-t ed25519) ;;
  *-ecdsa) args=(-t ecdsa -b 256) ;;
  *)
    echo "generate.sh: $name: name must end with -rsa, -ed25519 or -ecdsa" >&2
    exit 1
    ;;
  esac
  ssh-keygen -q "${args[@]}" -N '' -C "$name@demo" -f "$work/$name"
  rm -f "$work/$name"
  read -r type blob _ <"$work/$name.pub"
  # '*' is outside the base64 alphabet: the blob no longer decodes.
  bad="${blob:0:40}*${blob:41}"
  # '|' and '&' never occur in base64, so they are safe in these commands.
  printf 's|@@%s@@|%s %s|g\n' "$name" "$type" "$blob" >>"$work/subst.sed"
  printf 's|@@blob:%s@@|%s|g\n' "$name" "$blob" >>"$work/subst.sed"
  printf 's|@@badb64:%s@@|%s %s|g\n' "$name" "$type" "$bad" >>"$work/subst.sed"
done

sed -f "$work/subst.sed" "$template" >"$work/demo-org.json"
if grep -q '@@' "$work/demo-org.json"; then
  echo "generate.sh: placeholders left:" >&2
  grep -o '@@[^@]*@@' "$work/demo-org.json" >&2
  exit 1
fi
jq empty "$work/demo-org.json"
mv "$work/demo-org.json" "$out"
echo "wrote $out with $(echo "$names" | wc -w) keys"
