import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { EmptyState, Progress, ResponseErrorPanel } from '@backstage/core-components';
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
import useAsync from 'react-use/esm/useAsync';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { RunStatusChip } from '../RunStatusChip/RunStatusChip';
import { useRunChangeSignals } from '../../hooks/useRunChangeSignals';
import { formatDuration } from '../../utils/formatDuration';

/** A table refreshed on signals reads its page again at most this often. */
export const LIST_REFRESH_MIN_MS = 2000;

/** A labelled select for one filter, with an "any" choice as the empty value. */
function FilterSelect(props: {
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
  // cursors of the pages before the current one; the last entry is the current page's cursor
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const [changes, setChanges] = useState(0);

  const actions = useAsync(() => api.listActions(entityRef ? { entityRef } : {}), [api, entityRef]);
  const page = useAsync(
    () =>
      api.listRuns({
        entityRef,
        actionId: actionId || undefined,
        status: (status || undefined) as RunStatus | undefined,
        mine,
        limit: pageSize,
        cursor,
      }),
    [api, entityRef, actionId, status, mine, cursor, refreshKey, pageSize, changes],
  );
  const resetPaging = () => setCursors([undefined]);

  const shownRunIds = useRef(new Set<string>());
  shownRunIds.current = new Set(page.value?.items.map(run => run.id));
  const lastReload = useRef(0);
  const plannedReload = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useRunChangeSignals(changed => {
    if (plannedReload.current || !changed.some(change => shownRunIds.current.has(change.runId))) {
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
          options={RUN_STATUSES.map(s => ({ value: s, label: s }))}
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
      </Box>
      {page.loading && <Progress />}
      {page.error && <ResponseErrorPanel error={page.error} />}
      {page.value && page.value.items.length === 0 && (
        <EmptyState missing="data" title="No runs yet" description="Runs you may see appear here." />
      )}
      {page.value && page.value.items.length > 0 && (
        <Table size="small" aria-label="Runs">
          <TableHead>
            <TableRow>
              <TableCell>Action</TableCell>
              {!entityRef && <TableCell>Entity</TableCell>}
              <TableCell>Status</TableCell>
              <TableCell>Initiated by</TableCell>
              <TableCell>Started</TableCell>
              <TableCell>Duration</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {page.value.items.map(run => (
              <TableRow key={run.id} hover data-testid="run-row">
                <TableCell>
                  <Button size="small" onClick={() => onOpenRun(run.id)} aria-label={`Open run of ${run.actionName}`}>
                    {run.actionName}
                  </Button>
                </TableCell>
                {!entityRef && (
                  <TableCell>{run.entityRef ? <EntityRefLink entityRef={run.entityRef} /> : '—'}</TableCell>
                )}
                <TableCell>
                  <RunStatusChip status={run.status} approval={run.approval} />
                </TableCell>
                <TableCell>
                  <EntityRefLink entityRef={run.initiatedBy} />
                </TableCell>
                <TableCell>{new Date(run.createdAt).toLocaleString()}</TableCell>
                <TableCell>{formatDuration(run.startedAt ?? run.createdAt, run.completedAt)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      <Box display="flex" justifyContent="flex-end" style={{ gap: 8 }} mt={1}>
        <Button size="small" disabled={cursors.length <= 1} onClick={() => setCursors(c => c.slice(0, -1))}>
          Newer
        </Button>
        <Button
          size="small"
          disabled={!page.value?.nextCursor}
          onClick={() => setCursors(c => [...c, page.value?.nextCursor])}
        >
          Older
        </Button>
      </Box>
    </Box>
  );
}
