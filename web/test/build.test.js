// web/build.js bundles the widget into ONE served file (the embed stays one <script> tag).
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const vm = require("node:vm");
const { bundleWidget } = require("../build.js");

test("the bundle is one valid script with the helpers inside the widget's closure", () => {
  const bundle = bundleWidget();
  assert.ok(bundle.startsWith("/*!\n * Pregnancy symptom-checker chat widget"));
  assert.doesNotThrow(() => new vm.Script(bundle, { filename: "triage-widget.js" }));
  assert.match(bundle, /edit those\. \*\/\n\(function \(\) \{\n/); // one closure around all
  assert.ok(bundle.includes("\nvar triageWidgetHelpers = (function () {\n"));
  assert.ok(bundle.endsWith("})(triageWidgetHelpers);\n})();\n"));
  assert.ok(!bundle.includes("module.exports"), "helpers.js's node-only export must be cut");
  assert.ok(!bundle.includes("/* global triageWidgetHelpers */"));
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
