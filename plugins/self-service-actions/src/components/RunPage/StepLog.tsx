import { isFinalStatus, Run, RunStep } from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import GetAppIcon from '@material-ui/icons/GetApp';
import { downloadText, stepLogFileName } from '../../utils/downloadText';
import { LogLines } from '../LogLines/LogLines';

function emptyLogText(run: Run, step?: RunStep): string {
  if (step) return 'This step has no log lines yet.';
  if (run.steps.length > 0) return 'Select a step to see its log.';
  return isFinalStatus(run.status) ? 'No steps ran, so there is no log.' : 'The log appears when the first step starts.';
}

/**
 * The selected step's log, searchable, and a Download button. When the run's caps dropped the
 * step's earliest lines, it says so above the log: a log that starts mid-way should not pass
 * for the whole of it.
 */
export function StepLog(props: { run: Run; step?: RunStep }) {
  const { run, step } = props;
  const lines = step?.logs ?? [];
  const dropped = step?.droppedLogLines ?? 0;
  return (
    <Box display="flex" flexDirection="column" height="100%">
      <Box display="flex" alignItems="center" px={2} py={1} style={{ gap: 16 }}>
        <Typography variant="h6" component="h2" style={{ flexGrow: 1 }}>
          {step ? `Log of ${step.title}` : 'Log'}
        </Typography>
        {step && (
          <Button
            size="small"
            startIcon={<GetAppIcon />}
            disabled={lines.length === 0}
            onClick={() => downloadText(stepLogFileName(run.id, step.title), `${lines.join('\n')}\n`)}
          >
            Download log
          </Button>
        )}
      </Box>
      {dropped > 0 && (
        <Typography variant="body2" color="textSecondary" style={{ padding: '0 16px 8px' }} data-testid="dropped-log-lines">
          {dropped === 1 ? '1 earlier line dropped' : `${dropped} earlier lines dropped`} (the run's log limit keeps
          the newest lines)
        </Typography>
      )}
      <Box flexGrow={1} minHeight={320} data-testid="step-log">
        {lines.length > 0 ? (
          <LogLines
            lines={lines}
            label={`Log of ${step?.title ?? 'the step'}`}
            follow={step?.status === 'inprogress'}
            firstLineNumber={dropped + 1}
          />
        ) : (
          <Typography variant="body2" color="textSecondary" style={{ padding: 16 }}>
            {emptyLogText(run, step)}
          </Typography>
        )}
      </Box>
    </Box>
  );
}
