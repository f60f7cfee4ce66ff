// Runs before every UI test file: unmount what a test rendered and forget scripted commands;
// and give jsdom the two <dialog> methods it lacks (it renders no top layer: showModal only
// opens the element, which is all the tests look at).
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";
import { invoke } from "./tauri";

afterEach(() => {
  cleanup();
  invoke.mockReset();
});

if (typeof HTMLDialogElement !== "undefined" && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
    if (!this.hasAttribute("open")) return;
    this.removeAttribute("open");
    this.dispatchEvent(new Event("close"));
  };
}
