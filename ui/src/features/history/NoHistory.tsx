// What the history views say before the store holds a sample of the environment.
export function NoHistory({ envId }: { envId: string }) {
  return (
    <div className="muted history-empty" data-testid="history-empty">
      No history yet: Warren records a sample each time the queues are refreshed (or run <code>warren watch --env {envId}</code>)
    </div>
  );
}
