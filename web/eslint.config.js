// ESLint (flat config) for the widget, its build script and its tests: `make lint` runs it.
// The widget's sources are ES modules written in ES5 syntax plus import/export (docs/decisions.md):
// ESLint parses them as ES2015 modules and refuses every ES2015 construct but import/export, and
// esbuild (web/build.js, target es5) bundles them into one ES5 script; the build script and the
// tests are Node (CommonJS).
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

// ES2015+ syntax the widget must not use (import and export are the only exceptions): the
// bundle must run where the widget runs today, and esbuild cannot lower most of it to ES5.
const ES2015_SYNTAX = [
  ["VariableDeclaration[kind!='var']", "let and const"],
  ["ArrowFunctionExpression", "arrow functions"],
  ["ClassDeclaration, ClassExpression", "classes"],
  ["TemplateLiteral, TaggedTemplateExpression", "template literals"],
  ["ForOfStatement", "for...of"],
  ["SpreadElement, RestElement", "spread and rest"],
  ["ObjectPattern, ArrayPattern, AssignmentPattern", "destructuring and default parameters"],
  ["FunctionDeclaration[generator=true], FunctionExpression[generator=true]", "generators"],
  ["Property[shorthand=true], Property[method=true], Property[computed=true]",
   "shorthand, method and computed properties"],
  ["MetaProperty", "new.target"],
  ["Literal[regex.flags=/[uy]/]", "the u and y regular-expression flags"],
].map(([selector, what]) => ({ selector, message: `ES5 only in the widget (docs/decisions.md): no ${what}` }));

// ES2015 globals the ES5 widget must not rely on (it parses as ES2015, which would allow them).
const ES2015_GLOBALS = ["Promise", "Map", "Set", "WeakMap", "WeakSet", "Symbol", "Proxy", "Reflect"]
  .map((name) => ({ name, message: "ES5 only in the widget (docs/decisions.md)" }));

// The modules node tests (web/test/) reach the browser only through what they are given.
const NO_BROWSER_GLOBALS = ["window", "document", "localStorage", "sessionStorage", "location"]
  .map((name) => ({ name, message: "a node-tested widget module takes the browser as a parameter" }));

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
      ecmaVersion: 2015, // the first version with import/export; ES2015_SYNTAX keeps the rest out
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      "no-restricted-syntax": ["error", ...ES2015_SYNTAX],
      "no-restricted-globals": ["error", ...ES2015_GLOBALS],
    },
  },
  {
    // Pure or given their browser objects: node tests them (web/test/*.test.js).
    files: ["widget/helpers.js", "widget/config.js", "widget/texts.js", "widget/storage.js",
            "widget/transport.js"],
    rules: {
      "no-restricted-globals": ["error", ...ES2015_GLOBALS, ...NO_BROWSER_GLOBALS],
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
