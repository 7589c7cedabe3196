#!/usr/bin/env node
// Builds what web/server.py publishes under /widget/ (and what a clinic hosts):
//
//   static/widget/triage-widget.js   widget/triage-widget.js and the ES modules it imports,
//                                    bundled by esbuild (pinned in package-lock.json) into one
//                                    closure, as ES5: the clinic still embeds ONE <script> tag
//   static/widget/triage-widget.css  a copy of widget/triage-widget.css
//   static/vendor/socket.io.min.js   socket.io-client's browser build, copied from node_modules
//                                    (installed by `npm ci` from package-lock.json); nothing is
//                                    fetched at page load from a CDN
//
//   npm ci --prefix web && node web/build.js
"use strict";

const fs = require("fs");
const path = require("path");

const here = __dirname;
const widgetSrc = path.join(here, "widget");
const widgetOut = path.join(here, "static", "widget");
const pkgDir = path.join(here, "node_modules", "socket.io-client");
const vendorDir = path.join(here, "static", "vendor");
const vendorFiles = ["socket.io.min.js", "socket.io.min.js.map"];

function fail(message) {
  console.error(`web/build.js: ${message}`);
  process.exit(1);
}

/**
 * A dev tool from node_modules, only at the version package-lock.json pins (the bundle's
 * bytes depend on it), else a message saying how to install it.
 */
function lockedPackage(name) {
  const lock = JSON.parse(fs.readFileSync(path.join(here, "package-lock.json"), "utf8"));
  const locked = lock.packages && lock.packages[`node_modules/${name}`];
  let installed = null;
  try {
    installed = JSON.parse(fs.readFileSync(path.join(here, "node_modules", name, "package.json"), "utf8"));
  } catch (e) {
    /* not installed */
  }
  if (!locked || !installed || locked.version !== installed.version) {
    throw new Error(`${name} ${installed ? installed.version : "is not installed"}, package-lock.json says ` +
                    `${locked && locked.version}: run \`npm ci --prefix web\``);
  }
  return require(name);
}

/** Writes through a temporary file, so a running server never serves half a file. */
function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * The served widget: widget/triage-widget.js and the modules it imports, bundled by esbuild
 * into one IIFE (scope-hoisted, so the clinic's page gets no new global but
 * window.TriageWidget), targeting ES5 (docs/decisions.md: the sources are ES5 with
 * import/export; esbuild fails the build on syntax it cannot give as ES5). Deterministic: the
 * same sources and esbuild version give the same bytes, from any working directory. Starts with
 * the entry's /*! licence comment and a "use strict" for the whole file (modules are strict
 * code; the bundle keeps them so). Returns the bundle's text.
 */
function bundleWidget(srcDir = widgetSrc) {
  const esbuild = lockedPackage("esbuild");
  const entry = path.join(srcDir, "triage-widget.js");
  const header = fs.readFileSync(entry, "utf8").match(/^\/\*![\s\S]*?\*\/\n/);
  if (!header) {
    throw new Error("widget/triage-widget.js must start with its /*! licence comment */");
  }
  const banner = [
    header[0].trimEnd(),
    "/* Built by web/build.js (esbuild) from the ES modules in web/widget/: edit those. */",
    '"use strict";',
  ].join("\n");
  const result = esbuild.buildSync({
    entryPoints: [entry],
    absWorkingDir: here, // the "// widget/x.js" comments in the bundle do not depend on the cwd
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es5",
    charset: "ascii",
    legalComments: "none", // the licence comment is the banner, once, at the top
    banner: { js: banner },
    minify: false, // a clinic's developer can read what runs on their page
    sourcemap: false,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

function buildWidget() {
  fs.mkdirSync(widgetOut, { recursive: true });
  writeAtomic(path.join(widgetOut, "triage-widget.js"), bundleWidget());
  fs.copyFileSync(path.join(widgetSrc, "triage-widget.css"), path.join(widgetOut, "triage-widget.css"));
}

function copyVendor() {
  if (!fs.existsSync(pkgDir)) {
    fail("node_modules/socket.io-client is missing: run `npm ci --prefix web` first");
  }
  const lock = JSON.parse(fs.readFileSync(path.join(here, "package-lock.json"), "utf8"));
  const locked = lock.packages && lock.packages["node_modules/socket.io-client"];
  const installed = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
  if (!locked || locked.version !== installed.version) {
    fail(`socket.io-client ${installed.version} is installed but package-lock.json says ` +
         `${locked && locked.version}: run \`npm ci --prefix web\``);
  }
  if (!/^4\./.test(installed.version)) {
    fail(`socket.io-client ${installed.version}: the widget needs 4.x (Engine.IO protocol 4, ` +
         "which python-socketio 5.x / python-engineio 4.x speak)");
  }
  fs.mkdirSync(vendorDir, { recursive: true });
  for (const name of vendorFiles) {
    const from = path.join(pkgDir, "dist", name);
    if (!fs.existsSync(from)) {
      fail(`${from} not found`);
    }
    fs.copyFileSync(from, path.join(vendorDir, name));
  }
  fs.writeFileSync(
    path.join(vendorDir, "VERSION"),
    `socket.io-client ${installed.version} (MIT), copied from node_modules by web/build.js\n`
  );
  return installed.version;
}

if (require.main === module) {
  const version = copyVendor();
  try {
    buildWidget();
  } catch (e) {
    fail(e.message);
  }
  const rel = (p) => path.relative(process.cwd(), p) || ".";
  console.log(`web/build.js: socket.io-client ${version} -> ${rel(vendorDir)}; widget -> ${rel(widgetOut)}`);
}

module.exports = { bundleWidget };
