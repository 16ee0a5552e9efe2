import { RunPreview } from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  block: {
    margin: 0,
    padding: theme.spacing(1, 1.5),
    background: theme.palette.background.default,
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
    fontFamily: 'monospace',
    fontSize: '0.8125rem',
    whiteSpace: 'pre-wrap',
    overflowWrap: 'anywhere',
    maxHeight: 320,
    overflowY: 'auto',
  },
}));

/** A JSON body indented, any other text as it is. */
function readable(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/**
 * The request a run would send, as the backend previewed it: method and URL, headers, the
 * Standard Webhooks headers and the body. Secrets already read `***` (the backend never
 * sends them); the region is focusable so a keyboard can scroll a long body.
 */
export function RequestPreview(props: { preview: RunPreview }) {
  const { request, signature } = props.preview;
  const classes = useStyles();
  const headers = [...Object.entries(request.headers), ...Object.entries(signature.headers)]
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  return (
    <Box mt={2} role="region" aria-label="Request preview">
      <Typography variant="subtitle2" component="h3" gutterBottom>
        The request a run sends now (secrets as ***; nothing was sent)
      </Typography>
      <pre
        className={classes.block}
        role="region"
        aria-label="Request line and headers, scrollable"
        // A keyboard must be able to scroll a long preview (axe: scrollable-region-focusable).
        // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
        tabIndex={0}
      >
        {`${request.method} ${request.url}\n${headers}`}
      </pre>
      <Box mt={1}>
        <pre
          className={classes.block}
          role="region"
          aria-label="Request body"
          // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
          tabIndex={0}
        >
          {readable(request.body)}
        </pre>
      </Box>
    </Box>
  );
}
