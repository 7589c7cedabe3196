#!/usr/bin/env node
// Copies socket.io-client's browser build from node_modules (installed by `npm ci` from
// package-lock.json) into web/static/vendor/, which the demo server publishes at
// /widget/vendor/. Nothing is fetched at page load from a CDN.
//
//   npm ci --prefix web && node web/build.js
"use strict";

const fs = require("fs");
const path = require("path");

const here = __dirname;
const pkgDir = path.join(here, "node_modules", "socket.io-client");
const vendorDir = path.join(here, "static", "vendor");
const files = ["socket.io.min.js", "socket.io.min.js.map"];

function fail(message) {
  console.error(`web/build.js: ${message}`);
  process.exit(1);
}

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
for (const name of files) {
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
console.log(`web/build.js: socket.io-client ${installed.version} -> ${path.relative(process.cwd(), vendorDir) || "."}`);
