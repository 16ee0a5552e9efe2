import { Link, StatusError, StatusOK, StatusPending } from '@backstage/core-components';
import {
  EventDelivery,
  EventDeliveryStatus,
} from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
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

const nowrap = { whiteSpace: 'nowrap' } as const;

/** A run id as a row shows it: its first 8 characters (the whole id on hover and for screen readers). */
function shortId(id: string): string {
  return id.length > 10 ? `${id.slice(0, 8)}…` : id;
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
 * Event deliveries, one a row: the event and its place among its run's events, its run (linked
 * to the run's page), the subscriber, the attempts, the last answer and when things
 * happened; delivered and failed ones with Retry.
 */
export function EventDeliveriesTable(props: EventDeliveriesTableProps) {
  const { deliveries, retrying, onRetry } = props;
  const runPageLink = useRunPageLink();
  return (
    // Scrolls on its own in a narrow window rather than widen the card.
    <Box style={{ overflowX: 'auto' }}>
    <Table size="small" aria-label="Event deliveries">
      <TableHead>
        <TableRow>
          <TableCell style={nowrap}>Event</TableCell>
          <TableCell style={nowrap}>Run</TableCell>
          <TableCell style={nowrap}>Subscriber</TableCell>
          <TableCell style={nowrap}>Status</TableCell>
          <TableCell align="right" style={nowrap}>Attempts</TableCell>
          <TableCell style={nowrap}>Last answer</TableCell>
          <TableCell style={nowrap}>Times</TableCell>
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
              <TableCell style={nowrap}>
                <code>{delivery.type}</code>
                <Typography variant="body2" component="div" color="textSecondary">
                  {`event ${delivery.sequence} of its run`}
                </Typography>
              </TableCell>
              <TableCell style={nowrap} title={delivery.runId}>
                {runLink ? (
                  <Link to={runLink} aria-label={`Open run ${delivery.runId}`}>
                    {shortId(delivery.runId)}
                  </Link>
                ) : (
                  shortId(delivery.runId)
                )}
              </TableCell>
              <TableCell style={nowrap}>{delivery.subscriberId}</TableCell>
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
    </Box>
  );
}
