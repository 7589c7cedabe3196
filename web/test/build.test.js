// web/build.js bundles the widget's ES modules into ONE served ES5 file with esbuild (the embed
// stays one <script> tag).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");
const { Linter } = require("eslint");
const { bundleWidget } = require("../build.js");

const widgetDir = path.join(__dirname, "..", "widget");

test("the bundle is one valid script: licence, strict mode, one closure around every module", () => {
  const bundle = bundleWidget();
  assert.ok(bundle.startsWith("/*!\n * Pregnancy symptom-checker chat widget"));
  assert.doesNotThrow(() => new vm.Script(bundle, { filename: "triage-widget.js" }));
  assert.match(bundle, /edit those\. \*\/\n"use strict";\n\(function\(\) \{\n/);
  assert.ok(bundle.endsWith("\n})();\n"));
  assert.equal(bundle.split("/*!").length, 2, "the licence comment once");
  assert.doesNotMatch(bundle, /^\s*(import|export)\s/m);
  assert.ok(!bundle.includes("module.exports") && !bundle.includes("require("));
});

test("every module in web/widget/ is in the bundle", () => {
  const bundle = bundleWidget();
  const modules = fs.readdirSync(widgetDir).filter((name) => name.endsWith(".js"));
  assert.ok(modules.length > 5);
  for (const name of modules) {
    assert.ok(bundle.includes(`\n  // widget/${name}\n`), name);
  }
});

test("the bundle is ES5: it parses as an ECMAScript 5 script", () => {
  const messages = new Linter().verify(bundleWidget(), [
    { languageOptions: { ecmaVersion: 5, sourceType: "script" } },
  ]);
  assert.deepEqual(messages.filter((m) => m.fatal), []);
});

test("the build is deterministic and does not depend on the working directory", () => {
  const first = bundleWidget();
  const cwd = process.cwd();
  try {
    process.chdir(require("node:os").tmpdir());
    assert.equal(bundleWidget(), first);
  } finally {
    process.chdir(cwd);
  }
});

test("running the bundle leaks no global: it stops at once without its <script> tag", () => {
  const sandbox = {
    document: { currentScript: null, querySelectorAll: () => [] },
  };
  sandbox.window = sandbox;
  vm.createContext(sandbox);
  vm.runInContext(bundleWidget(), sandbox);
  const own = Object.keys(sandbox).sort();
  assert.deepEqual(own, ["document", "window"]);
});

test("pasted twice: the second copy keeps the first widget", () => {
  const first = { loaded: true };
  const sandbox = { TriageWidget: first, document: { currentScript: { src: "x" } } };
  sandbox.window = sandbox;
  vm.createContext(sandbox);
  vm.runInContext(bundleWidget(), sandbox);
  assert.equal(sandbox.TriageWidget, first);
});
