from kivy.uix.screenmanager import Screen


class PickupScreen(Screen):
    pass
