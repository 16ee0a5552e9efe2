import { Route, Routes } from 'react-router-dom';
import { Content, Header, Page } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import { ActionsPanel } from '../ActionsPanel/ActionsPanel';
import { AwaitingApprovals } from '../AwaitingApprovals/AwaitingApprovals';
import { EventDeliveries } from '../EventDeliveries/EventDeliveries';
import { RunPage } from '../RunPage/RunPage';
import { ActionEditorPage } from '../ActionEditor/ActionEditorPage';
import { NewActionButton } from '../ActionEditor/NewActionButton';

function OverviewPage() {
  return (
    <Page themeId="tool">
      <Header
        title="Self-service actions"
        subtitle="Run global actions and follow every run you may see. Entity actions live on each entity's page."
      >
        <NewActionButton />
      </Header>
      <Content>
        <Box mb={3}>
          <AwaitingApprovals />
        </Box>
        <ActionsPanel showRuns title="Global actions" />
        <Box mt={3}>
          <EventDeliveries />
        </Box>
      </Content>
    </Page>
  );
}

/**
 * The global Self-service page: runs awaiting the user's approval, global actions, every run
 * the user may see and, for admins, the deliveries of lifecycle events; and under it, the page
 * of each run (`runs/:id`).
 */
export function SelfServiceActionsPage() {
  return (
    <Routes>
      <Route path="/" element={<OverviewPage />} />
      <Route path="/runs/:id" element={<RunPage />} />
      <Route path="/actions/new" element={<ActionEditorPage />} />
      <Route path="/actions/:id/edit" element={<ActionEditorPage />} />
    </Routes>
  );
}
