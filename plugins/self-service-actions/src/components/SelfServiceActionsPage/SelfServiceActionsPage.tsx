import { Content, Header, Page } from '@backstage/core-components';
import { ActionsPanel } from '../ActionsPanel/ActionsPanel';

/** The global Self-service page: global actions and every run the user may see. */
export function SelfServiceActionsPage() {
  return (
    <Page themeId="tool">
      <Header
        title="Self-service actions"
        subtitle="Run global actions and follow every run you may see. Entity actions live on each entity's page."
      />
      <Content>
        <ActionsPanel showRuns title="Global actions" />
      </Content>
    </Page>
  );
}
