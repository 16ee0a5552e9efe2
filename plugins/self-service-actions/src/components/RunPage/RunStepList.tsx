import { Run } from '@self-service-actions/plugin-self-service-actions-common';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import Box from '@material-ui/core/Box';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { RunStatusChip } from '../RunStatusChip/RunStatusChip';
import { formatDuration } from '../../utils/formatDuration';
import { isUnfinishedStep, noStepsText } from '../../utils/runText';

const useStyles = makeStyles(theme => ({
  // MUI's selected grey (8 % black) is darker than needed: a lighter tint, and a bar in the
  // primary colour that marks the selection without relying on the tint.
  selected: {
    '&&, &&:hover': { backgroundColor: theme.palette.action.hover },
    boxShadow: `inset 4px 0 0 ${theme.palette.primary.main}`,
  },
}));

/** The steps of a run, as Scaffolder's task page lists them: status, title, duration; one selected. */
export function RunStepList(props: { run: Run; selected?: string; onSelect(title: string): void }) {
  const { run, selected, onSelect } = props;
  const classes = useStyles();
  if (run.steps.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary" style={{ padding: 16 }}>
        {noStepsText(run)}
      </Typography>
    );
  }
  return (
    // a nav of buttons, not a list: MUI renders button items as divs, which a <ul> may not hold
    <List component="nav" aria-label="Steps" data-testid="run-steps">
      {run.steps.map(step => {
        const unfinished = isUnfinishedStep(step, run);
        const duration = formatDuration(step.startedAt, step.completedAt ?? (unfinished ? run.completedAt : null));
        return (
          <ListItem
            key={step.title}
            button
            selected={step.title === selected}
            classes={{ selected: classes.selected }}
            aria-current={step.title === selected ? 'step' : undefined}
            onClick={() => onSelect(step.title)}
            data-testid="run-step"
          >
            <ListItemText
              primary={step.title}
              // on the selected item's tint, the secondary grey falls just under 4.5:1
              secondaryTypographyProps={{ component: 'div', color: step.title === selected ? 'textPrimary' : 'textSecondary' }}
              secondary={
                // status and duration on one line: the list stays as short as the steps
                <Box display="flex" alignItems="center" justifyContent="space-between" style={{ gap: 8 }}>
                  <RunStatusChip status={step.status} unfinished={unfinished} />
                  {duration && <span>{duration}</span>}
                </Box>
              }
            />
          </ListItem>
        );
      })}
    </List>
  );
}
