# Sourced by the bin/ scripts: finds a JDK 25 or says how to get one (sets JAVA_HOME and JAVA), and picks the
# launcher's JVM flags per command (sets AUTOPILOT_JVM_FLAGS; benches use it to measure what runs in production).
autopilot_find_jdk() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 \
                   "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    # The JDK's release file names its version without starting a JVM (that alone took a short command 0.1-0.3 s).
    version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$candidate/release" 2>/dev/null)
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
# commands get C1 only too (quick start). Usage: autopilot_jvm_flags COMMAND [CLASS-DATA-ARCHIVE-DIR]. The agent and 'restore' keep C2: they hash and unpack gigabytes, and
# SHA-256 has no C1 intrinsic (154 MB/s under C1, 1.6 GB/s with C2, measured in docs/why.md).
autopilot_jvm_flags() {
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  AUTOPILOT_JVM_FLAGS=(-XX:+UseSerialGC -Xss512k -XX:+UseCompactObjectHeaders
        -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -XX:TrimNativeHeapInterval=2000 -Xshare:auto
        -XX:+ExitOnOutOfMemoryError --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
  case "${1:-}" in
    supervise) AUTOPILOT_JVM_FLAGS+=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xms4m -Xmx32m -XX:ReservedCodeCacheSize=16m) ;;
    agent|restore) AUTOPILOT_JVM_FLAGS+=(-XX:CICompilerCount=2 -Xms16m -Xmx128m -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=48m) ;;
    *) AUTOPILOT_JVM_FLAGS+=(-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xms16m -Xmx128m -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=32m) ;;
  esac
  # Commands operators run in loops start from a class-data archive of their own (AppCDS): its first run writes it
  # beside the jar, every later one maps the classes it loaded (picocli, Jackson, the HTTP call) instead of loading
  # them again, a third less start-up CPU. The caller names a directory per build of the jar (an archive of another
  # build is refused, and AutoCreateSharedArchive does not replace it). Skipped where
  # the directory cannot be written; CDS never fails a command, so its log lines are off (they would go to stdout).
  local cds="${2:-}"
  case "${1:-}" in
    status|switchover|failover|pause|resume|backups|ctl)
      if [ -n "$cds" ] && mkdir -p "$cds" 2>/dev/null && [ -w "$cds" ]; then
        AUTOPILOT_JVM_FLAGS+=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$cds/$1.jsa" '-Xlog:cds*=off')
      fi ;;
  esac
}
