// ESLint (flat config) for the widget, its build script and its tests: `make lint` runs it.
// The widget itself is ES5 in a browser (no modules, no build step beyond bundling), so it is
// linted as ES5 script code; the build script and the tests are Node (CommonJS).
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  { ignores: ["node_modules/", "static/"] },
  js.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      eqeqeq: ["error", "always"],
      "no-implicit-globals": "error",
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "no-script-url": "error",
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "text goes in with textContent only (docs/widget.md)" },
        { property: "outerHTML", message: "text goes in with textContent only (docs/widget.md)" },
        { property: "insertAdjacentHTML", message: "text goes in with textContent only" },
        { object: "document", property: "write", message: "never document.write" },
      ],
    },
  },
  {
    files: ["widget/**/*.js"],
    languageOptions: {
      ecmaVersion: 5,
      sourceType: "script",
      globals: { ...globals.browser },
    },
  },
  {
    // helpers.js runs in the browser (bundled) and in node (its tests): no DOM, no window.
    files: ["widget/helpers.js"],
    languageOptions: {
      globals: { module: "readonly" },
    },
    rules: {
      // the one deliberate global of the source file; build.js wraps it in a closure
      "no-implicit-globals": "off",
      "no-restricted-globals": ["error", "window", "document", "localStorage", "sessionStorage"],
    },
  },
  {
    files: ["*.js", "test/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "commonjs",
      globals: { ...globals.node },
    },
  },
];
