#!/bin/sh
# Starts lambdata's Java runtime (java17, java21) on the machine's JDK: the heap sized from the
# function's memory (the rest is left to the JVM's own metaspace, code cache and threads), and the
# start-up options AWS's Java runtimes use for short-lived functions (serial GC, C1 only, CDS).
here=$(dirname "$0")
memory=${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-128}
heap=$((memory * 85 / 100 - 24))
[ "$heap" -lt 32 ] && heap=32
exec java -Xmx"${heap}m" -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
  -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=32m \
  -cp "$here/lambdata-java-runtime.jar" lambdata.runtime.Bootstrap
