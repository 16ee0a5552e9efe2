import { InfoCard, Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { ApiErrorPanel } from '../ApiErrorPanel/ApiErrorPanel';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { useRunPageLink } from '../../hooks/useRunPageLink';
import { waitingFor } from '../ApprovalPanel/ApprovalPanel';

/**
 * The runs waiting for the user's approval, each linking to its page. Renders nothing when
 * none waits (most users approve nothing).
 */
export function AwaitingApprovals() {
  const api = useApi(selfServiceActionsApiRef);
  const runLink = useRunPageLink();
  const { value, error, retry } = useAsyncRetry(
    () => api.listRuns({ awaitingMyDecision: true, limit: 50 }),
    [api],
  );
  if (error) {
    return <ApiErrorPanel title="Runs awaiting your approval could not be loaded" error={error} onRetry={retry} />;
  }
  if (!value?.items.length) {
    return null;
  }
  return (
    <InfoCard title="Awaiting my approval">
      <Table size="small" aria-label="Runs awaiting my approval">
        <TableHead>
          <TableRow>
            <TableCell>Action</TableCell>
            <TableCell>Entity</TableCell>
            <TableCell>Requested by</TableCell>
            <TableCell>Requested</TableCell>
            <TableCell>Waiting for</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {value.items.map(run => (
            <TableRow key={run.id} data-testid="awaiting-run">
              <TableCell>
                <Link to={runLink(run.id) ?? '#'}>{run.actionName}</Link>
              </TableCell>
              <TableCell>{run.entityRef ? <EntityRefLink entityRef={run.entityRef} /> : '—'}</TableCell>
              <TableCell>
                <EntityRefLink entityRef={run.initiatedBy} />
              </TableCell>
              <TableCell>{new Date(run.createdAt).toLocaleString()}</TableCell>
              <TableCell>{run.approval ? waitingFor(run.approval) : ''}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </InfoCard>
  );
}
