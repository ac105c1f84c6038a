# Sourced by the bin/ scripts: finds a JDK 25 or says how to get one. Sets JAVA_HOME and JAVA.
autopilot_find_jdk() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 \
                   "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
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
