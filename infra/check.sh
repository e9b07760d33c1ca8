#!/usr/bin/env bash
# Compiles and lints every infra/*.bicep and the sample parameter file with the Bicep CLI from NuGet
# (Azure.Bicep.CommandLine.linux-x64, restored by infra/Bicep.Tool.proj; nothing is downloaded from elsewhere).
# The rules in infra/bicepconfig.json are errors; any line of output naming an Error or a Warning fails the check.
set -euo pipefail
cd "$(dirname "$0")"

dotnet restore Bicep.Tool.proj --verbosity quiet >/dev/null
version=$(sed -n 's:.*<BicepCliVersion>\(.*\)</BicepCliVersion>.*:\1:p' ../Directory.Packages.props)
packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
bicep="${packages%/}/azure.bicep.commandline.linux-x64/$version/tools/bicep"
[ -f "$bicep" ] || { echo "infra/check.sh: the Bicep CLI is not at $bicep after the restore" >&2; exit 1; }
[ -x "$bicep" ] || chmod +x "$bicep"
echo "Bicep CLI: $("$bicep" --version)"

out=$(mktemp); trap 'rm -f "$out"' EXIT
failed=0
run() { # run the CLI; fail on a non-zero exit or on any diagnostic of level Error or Warning
  if ! "$bicep" "$@" >"$out" 2>&1; then failed=1; fi
  case "$1" in
    build|build-params) grep -E ': (Error|Warning) ' "$out" >&2 || true ;; # --stdout: the rest is the template
    *) cat "$out" ;;
  esac
  if grep -qE ': (Error|Warning) ' "$out"; then failed=1; fi
}
for f in *.bicep; do
  echo "bicep build $f"; run build "$f" --stdout
  echo "bicep lint $f"; run lint "$f"
done
for f in *.bicepparam; do
  echo "bicep build-params $f"; run build-params "$f" --stdout
  echo "bicep lint $f"; run lint "$f"
done
if [ "$failed" -ne 0 ]; then echo "infra/check.sh: errors or warnings above" >&2; exit 1; fi
echo "infra/check.sh: every file builds and lints with no errors and no warnings"
