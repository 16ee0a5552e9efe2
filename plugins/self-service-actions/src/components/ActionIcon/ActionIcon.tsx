import AddIcon from '@material-ui/icons/AddCircleOutline';
import BuildIcon from '@material-ui/icons/Build';
import BugIcon from '@material-ui/icons/BugReport';
import CloudIcon from '@material-ui/icons/Cloud';
import CodeIcon from '@material-ui/icons/Code';
import DatabaseIcon from '@material-ui/icons/Storage';
import DeleteIcon from '@material-ui/icons/DeleteOutline';
import DeployIcon from '@material-ui/icons/Publish';
import KeyIcon from '@material-ui/icons/VpnKey';
import LockIcon from '@material-ui/icons/Lock';
import PlayIcon from '@material-ui/icons/PlayArrow';
import RestartIcon from '@material-ui/icons/Replay';
import RocketIcon from '@material-ui/icons/Flight';
import RollbackIcon from '@material-ui/icons/History';
import ScaleIcon from '@material-ui/icons/LinearScale';
import SettingsIcon from '@material-ui/icons/Settings';
import StorageIcon from '@material-ui/icons/SdStorage';
import SyncIcon from '@material-ui/icons/Sync';
import { ActionIconName } from '@self-service-actions/plugin-self-service-actions-common';

const icons: Record<ActionIconName, typeof AddIcon> = {
  add: AddIcon,
  build: BuildIcon,
  bug: BugIcon,
  cloud: CloudIcon,
  code: CodeIcon,
  database: DatabaseIcon,
  delete: DeleteIcon,
  deploy: DeployIcon,
  key: KeyIcon,
  lock: LockIcon,
  play: PlayIcon,
  restart: RestartIcon,
  rocket: RocketIcon,
  rollback: RollbackIcon,
  scale: ScaleIcon,
  settings: SettingsIcon,
  storage: StorageIcon,
  sync: SyncIcon,
};

/** An action's icon: a name from the icon set, or an image URL. Decorative (hidden from screen readers). */
export function ActionIcon(props: { icon: string }) {
  const Icon = icons[props.icon as ActionIconName];
  if (Icon) {
    return <Icon aria-hidden="true" />;
  }
  return <img src={props.icon} alt="" width={24} height={24} aria-hidden="true" />;
}
