import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import { errorMessage } from '../../utils/errorMessage';

/**
 * A request that failed: what it was for, the backend's own message (not "Request failed with
 * 500") and, when the caller can try again, Retry.
 */
export function ApiErrorPanel(props: { title: string; error: unknown; onRetry?: () => void }) {
  const { title, error, onRetry } = props;
  return (
    <Alert
      severity="error"
      action={
        onRetry && (
          <Button color="inherit" size="small" onClick={onRetry}>
            Retry
          </Button>
        )
      }
    >
      <AlertTitle>{title}</AlertTitle>
      <span>{errorMessage(error)}</span>
    </Alert>
  );
}
