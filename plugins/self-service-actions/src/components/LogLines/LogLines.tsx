import { useId, useLayoutEffect, useMemo, useRef, useState } from 'react';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';

// Colour and cursor codes some tools print; shown as text they are noise.
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

const useStyles = makeStyles(theme => ({
  lines: {
    margin: 0,
    padding: theme.spacing(1, 0),
    listStyle: 'none',
    counterReset: 'none',
    fontFamily: 'monospace',
    fontSize: 13,
    lineHeight: 1.6,
    background: theme.palette.background.default,
  },
  scroller: {
    // Bounded like Scaffolder's log, so the page around it stays in view; focusable, so a
    // keyboard can scroll it (axe: scrollable-region-focusable).
    maxHeight: 'min(60vh, 640px)',
    overflowY: 'auto',
    '&:focus-visible': { outline: `2px solid ${theme.palette.primary.main}`, outlineOffset: -2 },
  },
  line: { display: 'flex', whiteSpace: 'pre-wrap', wordBreak: 'break-word' },
  number: {
    flex: '0 0 4em',
    textAlign: 'right',
    paddingRight: theme.spacing(1.5),
    marginRight: theme.spacing(1.5),
    borderRight: `1px solid ${theme.palette.divider}`,
    color: theme.palette.text.secondary,
    userSelect: 'none',
  },
  match: { background: theme.palette.warning.light, color: theme.palette.getContrastText(theme.palette.warning.light) },
}));

/** A line's text with the matches of `search` marked. */
function Marked(props: { text: string; search: string; className: string }) {
  const { text, search, className } = props;
  if (!search) return <>{text}</>;
  const parts: JSX.Element[] = [];
  const lower = text.toLocaleLowerCase();
  const needle = search.toLocaleLowerCase();
  let at = 0;
  for (let found = lower.indexOf(needle); found >= 0; found = lower.indexOf(needle, at)) {
    parts.push(<span key={`t${at}`}>{text.slice(at, found)}</span>);
    parts.push(
      <mark key={`m${found}`} className={className}>
        {text.slice(found, found + search.length)}
      </mark>,
    );
    at = found + search.length;
  }
  parts.push(<span key={`t${at}`}>{text.slice(at)}</span>);
  return <>{parts}</>;
}

/**
 * A step's log: numbered lines with a search that keeps the matching lines. In place of
 * Backstage's LogViewer, whose line numbers are links with role "row" outside any table and
 * whose filter button has no name (axe-core: critical): a list of lines reads as one, and the
 * step logs are bounded (report.maxLogLinesPerStep), so nothing needs virtualising.
 */
export function LogLines(props: {
  lines: string[];
  label: string;
  follow?: boolean;
  /** The number of the first line shown: after lines the run's caps dropped, not 1. */
  firstLineNumber?: number;
}) {
  const { lines, label, follow = false, firstLineNumber = 1 } = props;
  const classes = useStyles();
  const scroller = useRef<HTMLDivElement>(null);
  // Following a running step keeps its newest line in view, until the user scrolls up.
  const atEnd = useRef(true);
  useLayoutEffect(() => {
    const box = scroller.current;
    if (box && follow && atEnd.current) box.scrollTop = box.scrollHeight;
  }, [follow, lines]);
  const onScroll = () => {
    const box = scroller.current;
    if (box) atEnd.current = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  };
  const [search, setSearch] = useState('');
  const searchId = useId();
  const numbered = useMemo(
    () => lines.map((line, index) => ({ number: index + firstLineNumber, text: line.replace(ANSI_ESCAPE, '') })),
    [lines, firstLineNumber],
  );
  const needle = search.trim().toLocaleLowerCase();
  const shown = needle ? numbered.filter(line => line.text.toLocaleLowerCase().includes(needle)) : numbered;
  return (
    <Box>
      <Box display="flex" alignItems="center" justifyContent="flex-end" px={2} pb={1} style={{ gap: 16 }}>
        {needle && (
          <Typography variant="body2" color="textSecondary" data-testid="log-matches">
            {`${shown.length} of ${numbered.length} lines`}
          </Typography>
        )}
        <TextField
          size="small"
          id={searchId}
          label="Search the log"
          value={search}
          onChange={event => setSearch(event.target.value)}
        />
      </Box>
      <div
        ref={scroller}
        className={classes.scroller}
        role="region"
        aria-label={`${label}, scrollable`}
        // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
        tabIndex={0}
        onScroll={onScroll}
        data-testid="log-scroller"
      >
        <ol className={classes.lines} aria-label={label}>
          {shown.map(line => (
            <li key={line.number} className={classes.line}>
              <span className={classes.number} aria-hidden="true">
                {line.number}
              </span>
              <span>
                <Marked text={line.text} search={search.trim()} className={classes.match} />
              </span>
            </li>
          ))}
        </ol>
      </div>
    </Box>
  );
}
