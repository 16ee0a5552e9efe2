import { Link, StatusError, StatusOK, StatusPending } from '@backstage/core-components';
import {
  EventDelivery,
  EventDeliveryStatus,
} from '@self-service-actions/plugin-self-service-actions-common';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { formatRelativeTime } from '../../utils/formatRelativeTime';
import { useRunPageLink } from '../../hooks/useRunPageLink';

/** How each delivery status reads in the UI (filter, rows, empty states). */
export const EVENT_DELIVERY_STATUS_LABELS: Record<EventDeliveryStatus, string> = {
  failed: 'Failed',
  pending: 'Pending',
  delivered: 'Delivered',
};

const indicators = {
  failed: StatusError,
  pending: StatusPending,
  delivered: StatusOK,
};

/** What a delivery is, in words: "run.succeeded for run r1 to ops-hook". */
export function describeDelivery(delivery: EventDelivery): string {
  return `${delivery.type} for run ${delivery.runId} to ${delivery.subscriberId}`;
}

/** A delivery that may be sent again: one that is no longer pending. */
export function canRetry(delivery: EventDelivery): boolean {
  return delivery.status === 'delivered' || delivery.status === 'failed';
}

/** One moment of a delivery, relative, with the exact time on hover. */
function Moment(props: { label: string; iso: string | null }) {
  const { label, iso } = props;
  if (!iso) return null;
  return (
    <Typography variant="body2" component="div" style={{ whiteSpace: 'nowrap' }}>
      {`${label} `}
      <time dateTime={iso} title={new Date(iso).toLocaleString()}>
        {formatRelativeTime(iso)}
      </time>
    </Typography>
  );
}

/** The subscriber's last answer: its HTTP status, and what went wrong when something did. */
function LastAnswer(props: { delivery: EventDelivery }) {
  const { responseStatus, lastError } = props.delivery;
  if (responseStatus === null && !lastError) {
    return <>—</>;
  }
  return (
    <>
      {responseStatus !== null && (
        <Typography variant="body2" component="div">{`HTTP ${responseStatus}`}</Typography>
      )}
      {lastError && (
        <Typography variant="body2" component="div" color="textSecondary" style={{ overflowWrap: 'anywhere' }}>
          {lastError}
        </Typography>
      )}
    </>
  );
}

/** Props of {@link EventDeliveriesTable}. */
export interface EventDeliveriesTableProps {
  deliveries: EventDelivery[];
  /** The ids of the deliveries whose retry is on its way. */
  retrying: ReadonlySet<string>;
  onRetry(delivery: EventDelivery): void;
}

/**
 * Event deliveries, one a row: the event, its run (linked to the run's page), the subscriber,
 * the event's place among its run's events, the attempts, the last answer and when things
 * happened; delivered and failed ones with Retry.
 */
export function EventDeliveriesTable(props: EventDeliveriesTableProps) {
  const { deliveries, retrying, onRetry } = props;
  const runPageLink = useRunPageLink();
  return (
    <Table size="small" aria-label="Event deliveries">
      <TableHead>
        <TableRow>
          <TableCell>Event</TableCell>
          <TableCell>Run</TableCell>
          <TableCell>Subscriber</TableCell>
          <TableCell align="right">Sequence</TableCell>
          <TableCell>Status</TableCell>
          <TableCell align="right">Attempts</TableCell>
          <TableCell>Last answer</TableCell>
          <TableCell>Times</TableCell>
          <TableCell>
            <Typography variant="srOnly">Actions</Typography>
          </TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {deliveries.map(delivery => {
          const Indicator = indicators[delivery.status] ?? StatusPending;
          const runLink = runPageLink(delivery.runId);
          const busy = retrying.has(delivery.id);
          return (
            <TableRow key={delivery.id} hover data-testid="event-delivery-row">
              <TableCell style={{ whiteSpace: 'nowrap' }}>
                <code>{delivery.type}</code>
              </TableCell>
              <TableCell>
                {runLink ? (
                  <Link to={runLink} aria-label={`Open run ${delivery.runId}`}>
                    {delivery.runId}
                  </Link>
                ) : (
                  delivery.runId
                )}
              </TableCell>
              <TableCell>{delivery.subscriberId}</TableCell>
              <TableCell align="right">{delivery.sequence}</TableCell>
              <TableCell style={{ whiteSpace: 'nowrap' }}>
                <span data-testid="event-delivery-status" data-status={delivery.status}>
                  <Indicator>{EVENT_DELIVERY_STATUS_LABELS[delivery.status] ?? delivery.status}</Indicator>
                </span>
              </TableCell>
              <TableCell align="right">{delivery.attempts}</TableCell>
              <TableCell>
                <LastAnswer delivery={delivery} />
              </TableCell>
              <TableCell>
                <Moment label="Created" iso={delivery.createdAt} />
                <Moment label="Last attempt" iso={delivery.lastAttemptAt} />
                <Moment label="Delivered" iso={delivery.deliveredAt} />
                {delivery.status === 'pending' && <Moment label="Next attempt" iso={delivery.nextAttemptAt} />}
              </TableCell>
              <TableCell>
                {canRetry(delivery) && (
                  <Button
                    size="small"
                    variant="outlined"
                    disabled={busy}
                    onClick={() => onRetry(delivery)}
                    aria-label={`Retry delivery of ${describeDelivery(delivery)}`}
                  >
                    {busy ? 'Retrying…' : 'Retry'}
                  </Button>
                )}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
