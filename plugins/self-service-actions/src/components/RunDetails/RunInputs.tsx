import { Run } from '@self-service-actions/plugin-self-service-actions-common';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useRunAction } from '../../hooks/useRunAction';
import { inputRows } from '../../utils/runText';

/** A run's inputs by the titles of its action's form; secret ones as `***`. */
export function RunInputs(props: { run: Run }) {
  const { run } = props;
  const action = useRunAction(run.actionId);
  const rows = inputRows(run.inputs, action?.userInputs, action?.uiSchema);
  if (rows.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No inputs.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Inputs">
      <TableBody>
        {rows.map(row => (
          <TableRow key={row.name}>
            <TableCell component="th" scope="row">
              {row.title}
            </TableCell>
            <TableCell>{row.value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
