/*
 * The one way the widget makes elements: attributes through setAttribute, text through
 * textContent only, never HTML (ESLint refuses innerHTML and the like; docs/widget.md).
 */
import { telHref } from "./helpers.js";

/** Create an element. attrs go through setAttribute, text through textContent only. */
export function el(tag, attrs, children) {
  var node = document.createElement(tag);
  if (attrs) {
    Object.keys(attrs).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (name === "text") {
        node.textContent = String(value);
      } else if (name === "className") {
        node.className = value;
      } else {
        node.setAttribute(name, value === true ? "" : String(value));
      }
    });
  }
  (children || []).forEach(function (child) {
    if (child === null || child === undefined) {
      return;
    }
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return node;
}

export function visuallyHidden(text) {
  return el("span", { className: "tw-vh", text: text });
}

/** A tap-to-call link, or plain text when the number has no digits. */
export function callLink(number, label, className, ariaLabel) {
  var href = telHref(number);
  if (!href) {
    return el("span", { className: className, text: label });
  }
  return el("a", { className: className, href: href, "aria-label": ariaLabel || null, text: label });
}

export function removeChildren(node) {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}
