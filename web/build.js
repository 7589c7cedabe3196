#!/usr/bin/env node
// Builds what web/server.py publishes under /widget/ (and what a clinic hosts):
//
//   static/widget/triage-widget.js   widget/helpers.js + widget/triage-widget.js, bundled in
//                                    one closure: the clinic still embeds ONE <script> tag
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
const NODE_ONLY = "/* node-only:";

function fail(message) {
  console.error(`web/build.js: ${message}`);
  process.exit(1);
}

/** Writes through a temporary file, so a running server never serves half a file. */
function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * The served widget: helpers.js (without its node-only export) and triage-widget.js inside
 * one IIFE, so `triageWidgetHelpers` stays local and the clinic's page gets no new global
 * but window.TriageWidget. Returns the bundle's text.
 */
function bundleWidget(srcDir = widgetSrc) {
  const helpers = fs.readFileSync(path.join(srcDir, "helpers.js"), "utf8");
  const main = fs.readFileSync(path.join(srcDir, "triage-widget.js"), "utf8");
  const cut = helpers.indexOf(NODE_ONLY);
  if (cut === -1) {
    throw new Error(`widget/helpers.js lost its "${NODE_ONLY}" marker`);
  }
  const header = main.match(/^\/\*![\s\S]*?\*\/\n/);
  if (!header) {
    throw new Error("widget/triage-widget.js must start with its /*! licence comment */");
  }
  const body = main.slice(header[0].length).replace(/^\/\* global triageWidgetHelpers \*\/\n/m, "");
  return [
    header[0].trimEnd(),
    "/* Built by web/build.js from web/widget/helpers.js and web/widget/triage-widget.js: edit those. */",
    "(function () {",
    helpers.slice(0, cut).trimEnd(),
    "",
    body.trimEnd(),
    "})();",
    "",
  ].join("\n");
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
  buildWidget();
  const rel = (p) => path.relative(process.cwd(), p) || ".";
  console.log(`web/build.js: socket.io-client ${version} -> ${rel(vendorDir)}; widget -> ${rel(widgetOut)}`);
}

module.exports = { bundleWidget };
