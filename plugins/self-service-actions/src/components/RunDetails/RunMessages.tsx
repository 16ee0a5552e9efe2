import { Run } from '@self-service-actions/plugin-self-service-actions-common';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';

const clock = (iso: string) => new Date(iso).toLocaleTimeString();

/**
 * The messages the external system reported, oldest first, each with the time it arrived: how
 * the run got where it is ("Job queued", "Deploying 3 of 5 pods", "Rolled out"), where the
 * notices above show only the latest.
 */
export function RunMessages(props: { run: Run }) {
  const { messages } = props.run;
  if (messages.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No messages reported.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Messages">
      <TableBody>
        {messages.map((message, index) => (
          <TableRow key={`${message.at}-${index}`}>
            <TableCell component="th" scope="row" style={{ whiteSpace: 'nowrap', width: '1%' }}>
              <time dateTime={message.at} title={new Date(message.at).toLocaleString()}>
                {clock(message.at)}
              </time>
            </TableCell>
            <TableCell style={{ overflowWrap: 'anywhere' }}>{message.text}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
