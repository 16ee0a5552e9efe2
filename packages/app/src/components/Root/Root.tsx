import { PropsWithChildren } from 'react';
import {
  Sidebar,
  SidebarDivider,
  SidebarItem,
  SidebarPage,
  SidebarSpace,
} from '@backstage/core-components';
import { NotificationsSidebarItem } from '@backstage/plugin-notifications';
import HomeIcon from '@material-ui/icons/Home';
import PlayCircleIcon from '@material-ui/icons/PlayCircleOutline';

export const Root = ({ children }: PropsWithChildren<{}>) => (
  <SidebarPage>
    <Sidebar>
      <SidebarDivider />
      <SidebarItem icon={HomeIcon} to="catalog" text="Catalog" />
      <SidebarItem icon={PlayCircleIcon} to="self-service-actions" text="Self-service" />
      <SidebarSpace />
      <NotificationsSidebarItem />
    </Sidebar>
    {children}
  </SidebarPage>
);
