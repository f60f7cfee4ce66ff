// A message from a framework's error queue shows who moved it there and the framework's own
// record of the failure (exception, message, origin address, stack trace); a broker dead letter
// shows none of that.
import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import type { DeadLetter } from "../../ipc/bindings/DeadLetter";
import { MessageDetail } from "./MessageDetail";

const base: DeadLetter = {
  position: 0,
  key: "k1",
  exchange: "submit-order_error",
  routing_key: "",
  redelivered: false,
  properties: { message_id: "m1" },
  headers: {},
  deaths: [],
  kind: "broker",
  origin: "billing.acme",
  reason: "rejected",
  body: { kind: "json", size: 2, preview: "{}", truncated: false },
};

describe("MessageDetail", () => {
  it("shows a MassTransit fault: the kind, exception, message, address and stack trace", () => {
    const m: DeadLetter = {
      ...base,
      kind: "masstransit",
      origin: "submit-order",
      reason: "Budget exceeded",
      failure: {
        framework: "masstransit",
        queue: "submit-order",
        address: "rabbitmq://localhost/shop/submit-order",
        exception_type: "System.InvalidOperationException",
        message: "Budget exceeded",
        stack_trace: "   at Shop.SubmitOrderConsumer.Consume()",
        failed_at: "2026-12-01T19:04:05Z",
        host: "web01 (Shop.Service)",
      },
    };
    render(<MessageDetail message={m} onClose={() => {}} />);
    expect(screen.getByText("Failed in (MassTransit)")).toBeTruthy();
    expect(screen.getByTestId("dlq-failure-kind").textContent).toBe("MassTransit failure");
    expect(screen.getByTestId("dlq-failure-message").textContent).toBe("Budget exceeded");
    expect(screen.getByText("System.InvalidOperationException")).toBeTruthy();
    expect(screen.getByText("rabbitmq://localhost/shop/submit-order")).toBeTruthy();
    expect(screen.getByLabelText("Stack trace").textContent).toContain("SubmitOrderConsumer");
    expect(screen.getByText(/on web01 \(Shop.Service\)/)).toBeTruthy();
    expect(screen.getByText(/MassTransit moved it here, not the broker/)).toBeTruthy();
  });

  it("shows Spring's original exchange and key", () => {
    const m: DeadLetter = {
      ...base,
      kind: "spring",
      origin: "orders.exchange/orders.created",
      reason: "Order 7 has no customer",
      failure: { framework: "spring", exchange: "orders.exchange", routing_key: "orders.created", message: "Order 7 has no customer" },
    };
    render(<MessageDetail message={m} onClose={() => {}} />);
    expect(screen.getByText("Failed in (Spring AMQP)")).toBeTruthy();
    expect(screen.getByText("orders.exchange")).toBeTruthy();
    expect(screen.getByText("orders.created")).toBeTruthy();
  });

  it("shows a broker dead letter as before", () => {
    render(<MessageDetail message={base} onClose={() => {}} />);
    expect(screen.getByText("Died in")).toBeTruthy();
    expect(screen.queryByTestId("dlq-failure-kind")).toBeNull();
  });
});
