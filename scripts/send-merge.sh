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

# GitHub sends complete payloads (the app reads them into Octokit.Webhooks' event types, which refuse a trimmed one):
# the recorded delivery the webhook handler's tests use, with this merge's values.
template="$(dirname "$0")/../tests/ReleaseFunctions.Integrations.Tests/GitHub/Payloads/pull_request.closed.merged.json"
body=$(jq -c --argjson pr "$pr" --arg repo "$repo" --arg owner "$owner" --arg name "$name" --arg base "$base" --arg sha "$sha" --arg now "$now" '
  def repo: .name = $name | .full_name = $repo | .owner.login = $owner;
  .number = $pr | del(.installation, .organization) | .sender.login = "merger" | .repository |= repo
  | .pull_request |= (.number = $pr | .title = "Demo change \($pr)" | .merged_at = $now | .closed_at = $now
      | .merge_commit_sha = $sha | .user.login = "dev-\($pr)" | .merged_by.login = "merger" | .labels = []
      | .head.ref = "feature-\($pr)" | .head.label = "dev-\($pr):feature-\($pr)" | .head.sha = $sha | .head.repo |= repo
      | .base.ref = $base | .base.label = "\($owner):\($base)" | .base.sha = $sha | .base.repo |= repo)' "$template")
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
