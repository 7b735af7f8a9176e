// Compiles lambdata's Java runtime (src/runtime/java) into dist/runtime/java with the machine's JDK,
// when one is installed; without javac, Java functions are refused until a JDK is installed and
// the build is run again.
import { buildJavaRuntime, JAVA_RUNTIME_DIR } from '../dist/runtime/java-runtime.js';

if (!buildJavaRuntime('src/runtime/java', `dist/${JAVA_RUNTIME_DIR}`)) {
  console.warn('build-java: no javac found; java17/java21 functions stay unavailable until a JDK is installed');
}
