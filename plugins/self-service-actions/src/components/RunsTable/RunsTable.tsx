import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { EmptyState, Link, Progress } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { RUN_STATUSES, RunStatus } from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import TableSortLabel from '@material-ui/core/TableSortLabel';
import useAsync from 'react-use/esm/useAsync';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { ApiErrorPanel } from '../ApiErrorPanel/ApiErrorPanel';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { RUN_STATUS_LABELS, RunStatusChip } from '../RunStatusChip/RunStatusChip';
import { useRunChangeSignals } from '../../hooks/useRunChangeSignals';
import { formatDuration } from '../../utils/formatDuration';
import { formatRelativeTime } from '../../utils/formatRelativeTime';
import { useRunPageLink } from '../../hooks/useRunPageLink';
import MuiLink from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';

/** A table refreshed on signals reads its page again at most this often. */
export const LIST_REFRESH_MIN_MS = 2000;

/** A labelled select for one filter, with an "any" choice as the empty value. */
export function FilterSelect(props: {
  id: string;
  label: string;
  value: string;
  anyLabel: string;
  options: Array<{ value: string; label: string }>;
  onChange(value: string): void;
}) {
  const { id, label, value, anyLabel, options, onChange } = props;
  return (
    <FormControl variant="outlined" size="small" style={{ minWidth: 170 }}>
      <InputLabel id={id}>{label}</InputLabel>
      <Select
        labelId={id}
        label={label}
        value={value}
        onChange={e => onChange(e.target.value as string)}
      >
        <MenuItem value="">{anyLabel}</MenuItem>
        {options.map(option => (
          <MenuItem key={option.value} value={option.value}>
            {option.label}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}

/**
 * The action name of a row: a link to the run's page (to open in a new tab or copy) that, on a
 * plain click, opens the run in place; without the Self-service page, a link-styled button.
 */
function RunLink(props: { href?: string; label: string; onOpen(): void; children: string }) {
  const { href, label, onOpen, children } = props;
  if (!href) {
    return (
      <MuiLink component="button" variant="body2" onClick={onOpen} aria-label={label}>
        {children}
      </MuiLink>
    );
  }
  return (
    <Link
      to={href}
      aria-label={label}
      onClick={event => {
        if (!event.metaKey && !event.ctrlKey && !event.shiftKey && event.button === 0) {
          event.preventDefault();
          onOpen();
        }
      }}
    >
      {children}
    </Link>
  );
}

/** Props of {@link RunsTable}. */
export interface RunsTableProps {
  /** Only the runs of this entity. */
  entityRef?: string;
  /** Changing it reloads the table (after a new run). */
  refreshKey?: number;
  onOpenRun(runId: string): void;
  pageSize?: number;
}

/**
 * Runs the user may see, newest first, with filters (action, status, mine) and cursor paging.
 * With Backstage signals installed, the page is read again when a run on it changes (at most
 * every {@link LIST_REFRESH_MIN_MS}); without them it shows the runs as they were when loaded.
 */
export function RunsTable(props: RunsTableProps) {
  const { entityRef, refreshKey, onOpenRun, pageSize = 10 } = props;
  const api = useApi(selfServiceActionsApiRef);
  const [actionId, setActionId] = useState('');
  const [status, setStatus] = useState('');
  const [mine, setMine] = useState(false);
  const [order, setOrder] = useState<'newest' | 'oldest'>('newest');
  // cursors of the pages before the current one; the last entry is the current page's cursor
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const [changes, setChanges] = useState(0);
  // a run started since the page was read, while an older page is shown
  const [newerRuns, setNewerRuns] = useState(false);

  const actions = useAsync(() => api.listActions(entityRef ? { entityRef } : {}), [api, entityRef]);
  const page = useAsyncRetry(
    () =>
      api.listRuns({
        entityRef,
        actionId: actionId || undefined,
        status: (status || undefined) as RunStatus | undefined,
        mine,
        limit: pageSize,
        cursor,
        order,
      }),
    [api, entityRef, actionId, status, mine, cursor, refreshKey, pageSize, changes, order],
  );
  const resetPaging = () => {
    setCursors([undefined]);
    setNewerRuns(false);
  };
  const filtered = Boolean(actionId || status || mine);
  const clearFilters = () => {
    setActionId('');
    setStatus('');
    setMine(false);
    resetPaging();
  };
  const runPageLink = useRunPageLink();
  const firstShown = (cursors.length - 1) * pageSize + 1;

  const shownRunIds = useRef(new Set<string>());
  shownRunIds.current = new Set(page.value?.items.map(run => run.id));
  const onFirstPage = useRef(true);
  // new runs come first only newest first: oldest first, they are on the last page
  onFirstPage.current = cursors.length <= 1 && order === 'newest';
  const lastReload = useRef(0);
  const plannedReload = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useRunChangeSignals(changed => {
    // A run this page does not show is new (or on another page): the newest page shows it
    // at once; an older page says so rather than moving under the user's eyes.
    const unknown = changed.some(change => !shownRunIds.current.has(change.runId));
    if (unknown && !onFirstPage.current) {
      setNewerRuns(true);
    }
    const shownChanged = changed.some(change => shownRunIds.current.has(change.runId));
    if (plannedReload.current || !(shownChanged || (unknown && onFirstPage.current))) {
      return;
    }
    const wait = Math.max(0, lastReload.current + LIST_REFRESH_MIN_MS - Date.now());
    plannedReload.current = setTimeout(() => {
      plannedReload.current = undefined;
      lastReload.current = Date.now();
      setChanges(count => count + 1);
    }, wait);
  });
  useEffect(() => () => clearTimeout(plannedReload.current), []);

  return (
    <Box>
      <Box display="flex" alignItems="center" flexWrap="wrap" style={{ gap: 16 }} mb={1}>
        <FilterSelect
          id="ssa-filter-action"
          label="Action"
          value={actionId}
          anyLabel="All actions"
          options={(actions.value ?? []).map(a => ({ value: a.id, label: a.name }))}
          onChange={value => {
            setActionId(value);
            resetPaging();
          }}
        />
        <FilterSelect
          id="ssa-filter-status"
          label="Status"
          value={status}
          anyLabel="Any status"
          options={RUN_STATUSES.map(s => ({ value: s, label: RUN_STATUS_LABELS[s] }))}
          onChange={value => {
            setStatus(value);
            resetPaging();
          }}
        />
        <FormControlLabel
          control={
            <Checkbox
              checked={mine}
              onChange={e => {
                setMine(e.target.checked);
                resetPaging();
              }}
            />
          }
          label="Only my runs"
        />
        {page.value && page.value.items.length > 0 && (
          <Typography variant="body2" color="textSecondary" style={{ marginLeft: 'auto' }} data-testid="runs-count">
            {`Runs ${firstShown}–${firstShown + page.value.items.length - 1}${page.value.nextCursor ? `, more ${order === 'newest' ? 'older' : 'newer'}` : ''}, ${order} first`}
          </Typography>
        )}
      </Box>
      {newerRuns && (
        <Alert
          severity="info"
          action={
            <Button color="inherit" size="small" onClick={resetPaging}>
              Show newest
            </Button>
          }
        >
          New runs have started since this page was loaded.
        </Alert>
      )}
      {page.loading && <Progress />}
      {page.error && <ApiErrorPanel title="Runs could not be loaded" error={page.error} onRetry={page.retry} />}
      {page.value && page.value.items.length === 0 && !filtered && (
        <EmptyState missing="data" title="No runs yet" description="Runs you may see appear here." />
      )}
      {page.value && page.value.items.length === 0 && filtered && (
        <EmptyState
          missing="data"
          title="No runs match these filters"
          description="Other runs may match other filters."
          action={
            <Button variant="outlined" onClick={clearFilters}>
              Clear filters
            </Button>
          }
        />
      )}
      {page.value && page.value.items.length > 0 && (
        <Table size="small" aria-label="Runs">
          <TableHead>
            <TableRow>
              <TableCell>Action</TableCell>
              {!entityRef && <TableCell>Entity</TableCell>}
              <TableCell>Status</TableCell>
              <TableCell>Initiated by</TableCell>
              <TableCell sortDirection={order === 'newest' ? 'desc' : 'asc'}>
                <TableSortLabel
                  active
                  direction={order === 'newest' ? 'desc' : 'asc'}
                  onClick={() => {
                    setOrder(current => (current === 'newest' ? 'oldest' : 'newest'));
                    resetPaging();
                  }}
                >
                  Started
                </TableSortLabel>
              </TableCell>
              <TableCell>Duration</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {page.value.items.map(run => (
              <TableRow key={run.id} hover data-testid="run-row">
                <TableCell>
                  <RunLink
                    href={runPageLink(run.id)}
                    label={`Open run of ${run.actionName}`}
                    onOpen={() => onOpenRun(run.id)}
                  >
                    {run.actionName}
                  </RunLink>
                </TableCell>
                {!entityRef && (
                  <TableCell>{run.entityRef ? <EntityRefLink entityRef={run.entityRef} /> : '—'}</TableCell>
                )}
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  <RunStatusChip status={run.status} approval={run.approval} />
                </TableCell>
                <TableCell>
                  <EntityRefLink entityRef={run.initiatedBy} />
                </TableCell>
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  <time dateTime={run.createdAt} title={new Date(run.createdAt).toLocaleString()}>
                    {formatRelativeTime(run.createdAt)}
                  </time>
                </TableCell>
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  {formatDuration(run.startedAt ?? run.createdAt, run.completedAt)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Box display="flex" justifyContent="flex-end" style={{ gap: 8 }} mt={1}>
        <Button size="small" disabled={cursors.length <= 1} onClick={() => {
            if (cursors.length === 2) setNewerRuns(false);
            setCursors(c => c.slice(0, -1));
          }}>
          {order === 'newest' ? 'Newer' : 'Older'}
        </Button>
        <Button
          size="small"
          disabled={!page.value?.nextCursor}
          onClick={() => setCursors(c => [...c, page.value?.nextCursor])}
        >
          {order === 'newest' ? 'Older' : 'Newer'}
        </Button>
      </Box>
    </Box>
  );
}
