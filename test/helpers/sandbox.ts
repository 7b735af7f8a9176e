/**
 * Runtime options for engines whose test functions record what they saw in files of the test's own
 * directory (COLLECT_FILE, OUT_DIR, event.file): a sandboxed function cannot see the host's files,
 * so these engines run their environments on the process level. Isolation itself is tested in
 * runtime-sandbox.test.ts on the strongest level the machine offers.
 */
export const WRITES_HOST_FILES = { sandbox: 'process' } as const;
