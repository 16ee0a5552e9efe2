import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { InfoCard, Progress } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import {
  EventDelivery,
  EventDeliveryStatus,
} from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Autocomplete from '@material-ui/lab/Autocomplete';
import { selfServiceActionsApiRef } from '../../api/SelfServiceActionsApi';
import { errorMessage } from '../../utils/errorMessage';
import { ApiErrorPanel } from '../ApiErrorPanel/ApiErrorPanel';
import { FilterSelect } from '../RunsTable/RunsTable';
import {
  describeDelivery,
  EVENT_DELIVERY_STATUS_LABELS,
  EventDeliveriesTable,
} from './EventDeliveriesTable';
import { useEventDeliveries } from './useEventDeliveries';

const STATUSES: EventDeliveryStatus[] = ['failed', 'pending', 'delivered'];

/** What an empty list says, by the status filter ('' for any status). */
const EMPTY_TITLES: Record<EventDeliveryStatus | '', string> = {
  failed: 'No failed deliveries',
  pending: 'No pending deliveries',
  delivered: 'No delivered events',
  '': 'No deliveries yet',
};

/** The subscriber filter: free text, or one of the subscribers seen in the loaded pages. */
function SubscriberFilter(props: { value: string; options: string[]; onChange(value: string): void }) {
  const { value, options, onChange } = props;
  return (
    <Autocomplete
      freeSolo
      autoSelect
      options={options}
      value={value || null}
      onChange={(_, selected) => onChange(typeof selected === 'string' ? selected.trim() : '')}
      onInputChange={(_, text, reason) => {
        // emptying the field by hand shows every subscriber again, as the clear button does
        if (reason === 'input' && text.trim() === '' && value) onChange('');
      }}
      style={{ minWidth: 220 }}
      renderInput={params => (
        <TextField {...params} label="Subscriber" variant="outlined" size="small" placeholder="Any subscriber" />
      )}
    />
  );
}

/** Props of {@link EventDeliveries}. */
export interface EventDeliveriesProps {
  /** Deliveries a page ("Load more" appends the next one). */
  pageSize?: number;
}

/**
 * Admins' card of lifecycle event deliveries: the failed ones first, filters by status and
 * subscriber, pages appended with "Load more", and Retry on delivered and failed ones (the row
 * then shows the delivery pending again). Only `selfServiceActions.admins` may see deliveries:
 * for anyone else (`GET /me` says so) it renders nothing and asks for none, so non-admins
 * neither see it flash nor get a 403 in their console.
 */
export function EventDeliveries(props: EventDeliveriesProps) {
  const api = useApi(selfServiceActionsApiRef);
  const { value: caller } = useAsync(() => api.getCaller(), [api]);
  return caller?.admin ? <EventDeliveriesCard {...props} /> : null;
}

function EventDeliveriesCard(props: EventDeliveriesProps) {
  const { pageSize = 20 } = props;
  const api = useApi(selfServiceActionsApiRef);
  const alertApi = useApi(alertApiRef);
  const [status, setStatus] = useState<EventDeliveryStatus | ''>('failed');
  const [subscriberId, setSubscriberId] = useState('');
  const [retrying, setRetrying] = useState<ReadonlySet<string>>(new Set());
  const deliveries = useEventDeliveries({ status: status || undefined, subscriberId, pageSize });

  const retry = async (delivery: EventDelivery) => {
    setRetrying(ids => new Set(ids).add(delivery.id));
    try {
      deliveries.replace(await api.retryEventDelivery(delivery.id));
      alertApi.post({
        message: `Delivery of ${describeDelivery(delivery)} will be sent again`,
        severity: 'success',
        display: 'transient',
      });
    } catch (e) {
      alertApi.post({
        message: `Could not retry delivery of ${describeDelivery(delivery)}: ${errorMessage(e)}`,
        severity: 'error',
      });
    } finally {
      setRetrying(ids => {
        const rest = new Set(ids);
        rest.delete(delivery.id);
        return rest;
      });
    }
  };

  if (deliveries.forbidden || (!deliveries.answered && deliveries.error === undefined)) {
    return null;
  }
  const { items, nextCursor, loading, error } = deliveries;
  const emptyTitle = `${EMPTY_TITLES[status]}${subscriberId ? ` to ${subscriberId}` : ''}`;

  return (
    <InfoCard
      title="Event deliveries"
      subheader="Lifecycle events sent to the configured subscribers, newest first. Only admins see this card."
    >
      <Box display="flex" alignItems="center" flexWrap="wrap" style={{ gap: 16 }} mb={1}>
        <FilterSelect
          id="ssa-deliveries-filter-status"
          label="Delivery status"
          value={status}
          anyLabel="Any status"
          options={STATUSES.map(s => ({ value: s, label: EVENT_DELIVERY_STATUS_LABELS[s] }))}
          onChange={value => setStatus(STATUSES.find(s => s === value) ?? '')}
        />
        <SubscriberFilter value={subscriberId} options={deliveries.subscribers} onChange={setSubscriberId} />
      </Box>
      {!items && loading && <Progress />}
      {items && items.length === 0 && (
        <Typography variant="body2" color="textSecondary" data-testid="event-deliveries-empty">
          {emptyTitle}
        </Typography>
      )}
      {items && items.length > 0 && (
        <EventDeliveriesTable deliveries={items} retrying={retrying} onRetry={retry} />
      )}
      {error !== undefined && (
        <ApiErrorPanel title="Event deliveries could not be loaded" error={error} onRetry={deliveries.retry} />
      )}
      {items && nextCursor && (
        <Box display="flex" justifyContent="flex-end" mt={1}>
          <Button size="small" disabled={loading} onClick={deliveries.loadMore}>
            {loading ? 'Loading…' : 'Load more'}
          </Button>
        </Box>
      )}
    </InfoCard>
  );
}
