import Grid from '@material-ui/core/Grid';
import {
  EntityAboutCard,
  EntityLayout,
  EntitySwitch,
  EntityHasSubcomponentsCard,
  EntityOrphanWarning,
  EntityProcessingErrorsPanel,
  isOrphan,
  hasCatalogProcessingErrors,
} from '@backstage/plugin-catalog';
import {
  EntitySelfServiceActionsCard,
  EntitySelfServiceActionsContent,
  isSelfServiceActionsAvailable,
} from '@self-service-actions/plugin-self-service-actions';

const warnings = (
  <EntitySwitch>
    <EntitySwitch.Case if={isOrphan}>
      <Grid item xs={12}>
        <EntityOrphanWarning />
      </Grid>
    </EntitySwitch.Case>
    <EntitySwitch.Case if={hasCatalogProcessingErrors}>
      <Grid item xs={12}>
        <EntityProcessingErrorsPanel />
      </Grid>
    </EntitySwitch.Case>
  </EntitySwitch>
);

/** Systems, services and resources: overview with the actions card, and a Self-service tab. */
const actionablePage = (
  <EntityLayout>
    <EntityLayout.Route path="/" title="Overview">
      <Grid container spacing={3} alignItems="stretch">
        {warnings}
        <Grid item md={6} xs={12}>
          <EntityAboutCard />
        </Grid>
        <Grid item md={6} xs={12}>
          <EntitySelfServiceActionsCard />
        </Grid>
        <EntitySwitch>
          <EntitySwitch.Case if={entity => entity.kind === 'System'}>
            <Grid item xs={12}>
              <EntityHasSubcomponentsCard variant="gridItem" />
            </Grid>
          </EntitySwitch.Case>
        </EntitySwitch>
      </Grid>
    </EntityLayout.Route>
    <EntityLayout.Route path="/self-service" title="Self-service">
      <EntitySelfServiceActionsContent />
    </EntityLayout.Route>
  </EntityLayout>
);

const defaultPage = (
  <EntityLayout>
    <EntityLayout.Route path="/" title="Overview">
      <Grid container spacing={3}>
        {warnings}
        <Grid item xs={12}>
          <EntityAboutCard />
        </Grid>
      </Grid>
    </EntityLayout.Route>
  </EntityLayout>
);

export const entityPage = (
  <EntitySwitch>
    <EntitySwitch.Case if={isSelfServiceActionsAvailable} children={actionablePage} />
    <EntitySwitch.Case>{defaultPage}</EntitySwitch.Case>
  </EntitySwitch>
);
