#!/usr/bin/env bash
# Writes the quick commands' AOT cache for the jar just built: cli/target/quick.aot, beside the jar, where
# bin/autopilot looks for it (see bin/jdk.sh). Run by the package phase after the shaded jar (skip with
# -Dautopilot.aot.skip); a training run, dev.autopilot.cli.QuickTraining, runs status and a switchover against a
# stand-in agent with the flags the commands run with, and the JVM stores the classes it loaded. Never fails the build:
# without a cache the commands start from the class-data archive they write themselves, as before.
set -uo pipefail
cli=$(cd "$(dirname "$0")" && pwd)
. "$cli/../bin/jdk.sh"
autopilot_find_jdk || exit 0
jar="$cli/target/autopilot.jar"
[ -f "$jar" ] || { echo "aot-training: no $jar" >&2; exit 0; }
aot="$cli/target/quick.aot"
log="$cli/target/aot-training.log"
rm -f "$aot" "$aot.new"
autopilot_jvm_flags status "$jar" aot-training
if "$JAVA" "${AUTOPILOT_JVM_FLAGS[@]}" -cp "$jar" dev.autopilot.cli.QuickTraining >"$log" 2>&1 && [ -s "$aot.new" ]; then
  mv "$aot.new" "$aot"
  echo "aot-training: wrote $aot ($(stat -c %s "$aot") bytes)"
else
  rm -f "$aot.new" "$aot.new.config"
  echo "aot-training: no AOT cache for the quick commands (they start from a class-data archive instead); see $log" >&2
fi
exit 0
