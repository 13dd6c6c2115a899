// Ctrl-C during training: the first one asks the trainer to stop after the current step and
// write a checkpoint (nothing trained is lost); a second one quits at once.
export interface Interrupt {
  readonly signal: AbortSignal;
  /** Stops listening (call when training ends). */
  dispose(): void;
}

export function stopOnSigint(): Interrupt {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after this step and writing a checkpoint (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}
