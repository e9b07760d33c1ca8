#!/usr/bin/env bash
# Sends a signed GitHub `issue_comment` webhook (a new comment on a pull request) to a running ReleaseFunctions app,
# as GitHub would: the way to give a release a command such as /approve without GitHub. Usage:
#   scripts/send-comment.sh [pr-number] [comment] [repository] [commenter] [association]
# Defaults: 101, "/approve", contoso/checkout-api, alice (in contoso/sre in the sample settings), MEMBER.
# The commenter needs association OWNER, MEMBER or COLLABORATOR, and the release's policy decides whether they may
# approve (the PR's author, dev-<pr> with scripts/send-merge.sh, may not approve their own release).
# Environment: RF_URL (default http://127.0.0.1:5000), RF_WEBHOOK_SECRET (default: the sample settings' secret).
set -euo pipefail

pr="${1:-101}"
comment="${2:-/approve}"
repo="${3:-contoso/checkout-api}"
commenter="${4:-alice}"
association="${5:-MEMBER}"
url="${RF_URL:-http://127.0.0.1:5000}"
secret="${RF_WEBHOOK_SECRET:-local-webhook-secret}"
owner="${repo%%/*}"
name="${repo#*/}"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
comment_id=$(date +%s%N | cut -c1-15)
# GitHub sends complete payloads (the app reads them into Octokit.Webhooks' event types, which refuse a trimmed one):
# the recorded delivery the webhook handler's tests use, with this comment's values.
template="$(dirname "$0")/../tests/ReleaseFunctions.Integrations.Tests/GitHub/Payloads/issue_comment.created.json"
body=$(jq -c --argjson pr "$pr" --arg repo "$repo" --arg owner "$owner" --arg name "$name" --arg comment "$comment" \
    --arg commenter "$commenter" --arg association "$association" --arg now "$now" --argjson id "$comment_id" '
  del(.installation, .organization) | .sender.login = $commenter
  | .repository |= (.name = $name | .full_name = $repo | .owner.login = $owner)
  | .issue |= (.number = $pr | .title = "Demo change \($pr)" | .user.login = "dev-\($pr)"
      | .url = "https://api.github.com/repos/\($repo)/issues/\($pr)" | .pull_request.url = "https://api.github.com/repos/\($repo)/pulls/\($pr)")
  | .comment |= (.id = $id | .body = $comment | .created_at = $now | .updated_at = $now
      | .author_association = $association | .user.login = $commenter)' "$template")
signature="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.*= //')"

curl -sS -X POST "$url/api/github/webhook" \
  -H "Content-Type: application/json" \
  -H "X-GitHub-Event: issue_comment" \
  -H "X-GitHub-Delivery: $(cat /proc/sys/kernel/random/uuid)" \
  -H "X-Hub-Signature-256: $signature" \
  --data-binary "$body"
echo
