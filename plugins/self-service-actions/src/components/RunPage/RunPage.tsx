import { useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { Content, Header, Page } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import { rootRouteRef, runRouteRef } from '../../routes';
import { RunView } from '../RunView/RunView';

/**
 * The page of one run at `/self-service-actions/runs/:id`: a link to share in an incident, and
 * where notifications point.
 */
export function RunPage() {
  const { id = '' } = useParams();
  const runLink = useRouteRef(runRouteRef);
  const rootLink = useRouteRef(rootRouteRef);
  const navigate = useNavigate();
  const [copied, setCopied] = useState(false);
  const copyLink = async () => {
    await window.navigator.clipboard?.writeText(window.location.href);
    setCopied(true);
  };
  return (
    <Page themeId="tool">
      <Header title="Run" subtitle={id} type="Self-service" typeLink={rootLink()}>
        <Button variant="outlined" onClick={copyLink} aria-live="polite">
          {copied ? 'Link copied' : 'Copy link'}
        </Button>
      </Header>
      <Content>
        <RunView key={id} runId={id} onRerun={run => navigate(runLink({ id: run.id }))} />
      </Content>
    </Page>
  );
}
