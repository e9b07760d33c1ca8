#!/usr/bin/env bash
# Sends a signed GitHub `pull_request` webhook (closed + merged into main) to a running ReleaseFunctions app,
# as GitHub would. Usage:
#   scripts/send-merge.sh [pr-number] [repository] [base-branch]
# The repository defaults to contoso/checkout-api: the sample settings map it to the service checkout-api, and the
# policy folder (src/ReleaseFunctions/policies/contoso/checkout-api.yml) gives it an approval step.
# Environment: RF_URL (default http://127.0.0.1:5000), RF_WEBHOOK_SECRET (default: the sample settings' secret).
set -euo pipefail

pr="${1:-101}"
repo="${2:-contoso/checkout-api}"
base="${3:-main}"
url="${RF_URL:-http://127.0.0.1:5000}"
secret="${RF_WEBHOOK_SECRET:-local-webhook-secret}"
sha=$(printf '%s-%s-%s' "$repo" "$pr" "$(date +%s%N)" | sha1sum | cut -c1-40)
owner="${repo%%/*}"
name="${repo#*/}"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

body=$(cat <<JSON
{"action":"closed","number":$pr,
 "pull_request":{"number":$pr,"title":"Demo change $pr","state":"closed","merged":true,"merged_at":"$now",
   "merge_commit_sha":"$sha","user":{"login":"dev-$pr","id":1,"type":"User"},"merged_by":{"login":"merger","id":2,"type":"User"},
   "head":{"ref":"feature-$pr","sha":"$sha"},"base":{"ref":"$base","sha":"$sha"},"labels":[]},
 "repository":{"id":1,"name":"$name","full_name":"$repo","owner":{"login":"$owner","id":3,"type":"Organization"}},
 "sender":{"login":"merger","id":2,"type":"User"}}
JSON
)
signature="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.*= //')"

curl -sS -X POST "$url/api/github/webhook" \
  -H "Content-Type: application/json" \
  -H "X-GitHub-Event: pull_request" \
  -H "X-GitHub-Delivery: $(cat /proc/sys/kernel/random/uuid)" \
  -H "X-Hub-Signature-256: $signature" \
  --data-binary "$body"
echo
echo "release of $repo#$pr at ${sha:0:12}: watch it with  curl -s -H 'Authorization: Bearer <operator key>' $url/api/releases"
echo "approve it when it waits for approval with  scripts/send-comment.sh $pr /approve $repo"
