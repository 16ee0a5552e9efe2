/** Saves `text` as a plain-text file named `fileName`, from the browser, without a server round trip. */
export function downloadText(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  // After the click has handed the file over; revoking at once can cancel it in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** "run-1-set-up-job.txt": a file name from a run id and a step title. */
export function stepLogFileName(runId: string, stepTitle: string): string {
  const slug = stepTitle.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${runId}-${slug || 'step'}.txt`;
}
