import { darken, makeStyles } from '@material-ui/core/styles';

/**
 * A contained button in the theme's error colour (MUI v4 Button has no `error` colour). The
 * dark shade: white on the main red (#f44336) is 3.7:1, under WCAG's 4.5:1 for its text.
 */
export const useDangerButtonStyles = makeStyles(theme => ({
  danger: {
    color: theme.palette.error.contrastText,
    backgroundColor: theme.palette.error.dark,
    '&:hover': { backgroundColor: darken(theme.palette.error.dark, 0.2) },
  },
}));
