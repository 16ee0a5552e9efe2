import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { RunStep } from '@self-service-actions/plugin-self-service-actions-common';
import { aRun } from '../testing/fakeApi';
import { StepLog } from './StepLog';

const started = '2026-05-10T15:35:42.714Z';

function step(logs: string[], droppedLogLines?: number): RunStep {
  return { title: 'Build', status: 'inprogress', startedAt: started, logs, logCount: logs.length, droppedLogLines };
}

describe('StepLog', () => {
  it('says how many earlier lines the run dropped, above the lines it kept', async () => {
    await renderInTestApp(<StepLog run={aRun()} step={step(['line 1201', 'line 1202'], 1200)} />);
    expect(screen.getByTestId('dropped-log-lines')).toHaveTextContent('1200 earlier lines dropped');
    expect(screen.getByText('line 1201')).toBeInTheDocument();
    // Above the log, so it is read first.
    expect(
      screen.getByTestId('dropped-log-lines').compareDocumentPosition(screen.getByTestId('step-log')) &
        Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
  });

  it('says one line in the singular', async () => {
    await renderInTestApp(<StepLog run={aRun()} step={step(['kept'], 1)} />);
    expect(screen.getByTestId('dropped-log-lines')).toHaveTextContent('1 earlier line dropped');
  });

  it('says nothing when no line was dropped', async () => {
    await renderInTestApp(<StepLog run={aRun()} step={step(['kept'])} />);
    expect(screen.queryByTestId('dropped-log-lines')).not.toBeInTheDocument();
  });
});
