import { Entity } from '@backstage/catalog-model';
import { EmptyState, Progress } from '@backstage/core-components';
import { ActionListItem, PublicActionDefinition } from '@self-service-actions/plugin-self-service-actions-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemSecondaryAction from '@material-ui/core/ListItemSecondaryAction';
import ListItemText from '@material-ui/core/ListItemText';
import Tooltip from '@material-ui/core/Tooltip';
import { Link } from '@backstage/core-components';
import { ActionIcon } from '../ActionIcon/ActionIcon';
import { useActionEditorLink } from '../../hooks/useActionEditorLink';
import { ApiErrorPanel } from '../ApiErrorPanel/ApiErrorPanel';

/** Props of {@link ActionList}. */
export interface ActionListProps {
  actions?: ActionListItem[];
  loading: boolean;
  error?: Error;
  /** Loads the actions again after an error. */
  onRetry?: () => void;
  /** Where the list is shown, for the empty state. */
  entity?: Entity;
  onRun(action: PublicActionDefinition): void;
}

/** Actions with icon, type, description and Draft badge; Run is disabled with the reason when not allowed. */
export function ActionList(props: ActionListProps) {
  const { actions, loading, error, onRetry, entity, onRun } = props;
  const editorLink = useActionEditorLink();
  if (loading) {
    return <Progress />;
  }
  if (error) {
    return <ApiErrorPanel title="Actions could not be loaded" error={error} onRetry={onRetry} />;
  }
  if (!actions?.length) {
    return (
      <EmptyState
        missing="data"
        title="No actions"
        description={
          entity
            ? `No self-service action applies to ${entity.metadata.title ?? entity.metadata.name}, or none is visible to you.`
            : 'No self-service action is visible to you.'
        }
      />
    );
  }
  return (
    <List aria-label="Self-service actions">
      {actions.map(action => {
        const runButton = (
          <Button
            variant="contained"
            color="primary"
            size="small"
            disabled={!action.canRun}
            onClick={() => onRun(action)}
            aria-label={`Run ${action.name}`}
          >
            Run
          </Button>
        );
        // Actions made in the portal link to their editor: owners and admins (who see where the
        // action sends) edit it, others see its configuration.
        const editor = action.source === 'api' ? editorLink(action.id) : undefined;
        const manages = action.method.url !== undefined;
        return (
          <ListItem key={action.id} data-testid={`action-${action.id}`}>
            <ListItemIcon>
              <ActionIcon icon={action.icon} />
            </ListItemIcon>
            <ListItemText
              primary={
                <Box display="flex" alignItems="center" style={{ gap: 8 }} component="span">
                  <span>{action.name}</span>
                  <Chip size="small" label={action.type} variant="outlined" />
                  {action.status === 'Draft' && <Chip size="small" label="Draft" color="secondary" />}
                </Box>
              }
              secondary={action.description}
              style={{ paddingRight: editor ? 176 : 96 }}
            />
            <ListItemSecondaryAction>
              {editor && (
                <Box component="span" mr={1}>
                  <Button
                    size="small"
                    component={Link}
                    to={editor}
                    aria-label={`${manages ? 'Edit' : 'View'} ${action.name}`}
                  >
                    {manages ? 'Edit' : 'View'}
                  </Button>
                </Box>
              )}
              {action.canRun ? (
                runButton
              ) : (
                // A disabled button fires no events: the wrapper carries the tooltip and focus.
                <Tooltip title={action.reason ?? 'You may not run this action'}>
                  <span
                    // focusable so that keyboard users reach the tooltip with the reason
                    // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
                    tabIndex={0}
                    aria-label={action.reason}
                    data-testid={`run-disabled-${action.id}`}
                  >
                    {runButton}
                  </span>
                </Tooltip>
              )}
            </ListItemSecondaryAction>
          </ListItem>
        );
      })}
    </List>
  );
}
