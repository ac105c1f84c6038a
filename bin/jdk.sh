# Sourced by the bin/ scripts: finds a JDK 25 or says how to get one (sets JAVA_HOME and JAVA), and picks the
# launcher's JVM flags per command (sets AUTOPILOT_JVM_FLAGS; benches use it to measure what runs in production).
autopilot_find_jdk() {
  local candidate version line
  # No subprocess on the common path (a short command pays every fork: this function took 50-80 ms when it ran sed,
  # readlink and dirname): the JDK's release file names its version, read with bash's own `read`; java on PATH is
  # resolved only when JAVA_HOME and the usual places have no JDK 25.
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 PATH; do
    if [ "$candidate" = PATH ]; then
      candidate=$(command -v java 2>/dev/null) || continue
      candidate=$(readlink -f "$candidate") && candidate=${candidate%/bin/java}
    fi
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    version=
    if [ -r "$candidate/release" ]; then
      while IFS= read -r line; do
        case "$line" in JAVA_VERSION=*) version=${line#JAVA_VERSION=\"}; version=${version%%[.\"]*}; break ;; esac
      done < "$candidate/release"
    fi
    [ -n "$version" ] || version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ "${version%%.*}" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      JAVA="$candidate/bin/java"
      return 0
    fi
  done
  cat >&2 <<'MSG'
autopilot: no JDK 25 found (looked at $JAVA_HOME, /usr/lib/jvm/temurin-25-jdk-amd64, java on PATH).
  Install one, e.g. Temurin 25 (https://adoptium.net) or `apt-get install openjdk-25-jdk` where your
  distribution has it, then export JAVA_HOME=/path/to/jdk-25 and run this again.
MSG
  return 1
}

# Lean flags for an always-on process: one GC thread, small stacks, heap returned to the OS when idle, two malloc
# arenas (see docs/why.md). 'supervise' (no database, no store client) gets a smaller heap and C1 only; short CLI
# commands get C1 only too (quick start). Usage: autopilot_jvm_flags COMMAND [JAR [aot-training]]. The agent and 'restore' keep C2: they hash and unpack gigabytes, and
# SHA-256 has no C1 intrinsic (154 MB/s under C1, 1.6 GB/s with C2, measured in docs/why.md).
autopilot_jvm_flags() {
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  AUTOPILOT_JVM_FLAGS=(-XX:+UseSerialGC -Xss512k -XX:+UseCompactObjectHeaders
        -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:TrimNativeHeapInterval=2000 -Xshare:auto
        -XX:+ExitOnOutOfMemoryError --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
  case "${1:-}" in
    supervise) AUTOPILOT_JVM_FLAGS+=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xms4m -Xmx32m -XX:ReservedCodeCacheSize=16m) ;;
    # The agent: a 4 MB young generation (SerialGC cycles all of eden, so all of it is resident; idle, it fills in ~6 s
    # and a young collection takes ~2 ms), the old generation shrunk at once at a full collection, and a quarter of
    # the JIT's usual appetite (thresholds x4: the idle loop's code is compiled later and less of it). See docs/why.md.
    agent) AUTOPILOT_JVM_FLAGS+=(-XX:CICompilerCount=2 -XX:CompileThresholdScaling=4 -Xms8m -Xmn4m -Xmx128m -XX:-ShrinkHeapInSteps
             -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=48m) ;;
    restore) AUTOPILOT_JVM_FLAGS+=(-XX:CICompilerCount=2 -Xms16m -Xmx128m -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=48m) ;;
    *) AUTOPILOT_JVM_FLAGS+=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xms16m -Xmx128m -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=32m) ;;
  esac
  # Commands operators run in loops start from an archive of the classes they load, made for the jar they run from
  # (the caller names it; an archive of another build of it is refused). Best, the AOT cache (JDK 25, JEP 483/514)
  # beside the jar, written when the jar is built (cli/aot-training.sh runs dev.autopilot.cli.QuickTraining, status and
  # a switchover against a stand-in agent, with these flags): its classes are loaded and linked before main, picocli's
  # among them (built from its sources for Java 25: the jar's Java 5 class files were never archived), and switchover's
  # as much as status's. It is used while it is newer than the jar (a test of bash's, no subprocess on the quick path).
  # Without one (a jar built with -Dautopilot.aot.skip or rebuilt since, a training that failed): the class-data
  # archive (AppCDS) the first quick command writes, per build of the jar (by its mtime and size), every later one
  # mapping what it loaded; skipped where the directory cannot be written. Neither ever fails a command: their log
  # lines are off (they would go to stdout), and a cache the JVM cannot use (another JDK's) leaves it running without.
  # Usage: autopilot_jvm_flags COMMAND JAR aot-training writes the cache (to quick.aot.new, for the caller to move).
  local jar="${2:-}" cds
  case "${1:-}" in
    status|history|switchover|failover|pause|resume|backups|ctl)
      if [ -n "$jar" ] && [ "${3:-}" = aot-training ]; then
        autopilot_drop_flag -Xshare:auto # the JVM refuses it beside AOTCacheOutput and AOTCache
        AUTOPILOT_JVM_FLAGS+=("-XX:AOTCacheOutput=${jar%/*}/quick.aot.new")
      elif [ -n "$jar" ] && [ -f "${jar%/*}/quick.aot" ] && ! [ "$jar" -nt "${jar%/*}/quick.aot" ]; then
        autopilot_drop_flag -Xshare:auto
        AUTOPILOT_JVM_FLAGS+=("-XX:AOTCache=${jar%/*}/quick.aot" '-Xlog:aot*=off' '-Xlog:cds*=off')
      elif [ -f "$jar" ] && cds="${jar%/*}/cds/$(stat -c %Y.%s "$jar")" && { [ -d "$cds" ] || mkdir -p "$cds" 2>/dev/null; } && [ -w "$cds" ]; then
        AUTOPILOT_JVM_FLAGS+=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$cds/quick.jsa" '-Xlog:cds*=off')
      fi
      # Classes from an archive were verified when it was written; any other class of the jar this script belongs to
      # (all of them, without an archive) is not verified again (a diagnostic flag of HotSpot, hence the unlock): when
      # picocli was Java 5 class files, their slow type-inferring verifier was a quarter of the command's time. No
      # perf-data file either: nobody attaches jcmd to a command that ends in a fraction of a second.
      # Reflective calls (records read from JSON by their canonical constructor, picocli's converters) through the JVM's
      # native accessor: the JDK's default spins method-handle classes for each new signature, 24 of the 25 classes a
      # status run generated (about 0.1 s of CPU). A JDK that no longer knows the property ignores it.
      AUTOPILOT_JVM_FLAGS+=(-XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote -XX:-UsePerfData
            -Djdk.reflect.useNativeAccessorOnly=true) ;;
  esac
}

# Removes FLAG from AUTOPILOT_JVM_FLAGS.
autopilot_drop_flag() {
  local kept=() f
  for f in "${AUTOPILOT_JVM_FLAGS[@]}"; do
    [ "$f" = "$1" ] || kept+=("$f")
  done
  AUTOPILOT_JVM_FLAGS=("${kept[@]}")
}
